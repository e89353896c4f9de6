namespace DevOpsTools.Engine.Core;

/// <summary>
/// Every ErrorId the module can emit. They are part of the public contract: scripts match on
/// them (`$_.FullyQualifiedErrorId -like 'HostKeyMismatch,*'`), so never rename one.
/// </summary>
public static class ErrorIds
{
    // General
    public const string UnexpectedError = nameof(UnexpectedError);
    public const string OperationCancelled = nameof(OperationCancelled);
    public const string InvalidParameter = nameof(InvalidParameter);
    public const string FileNotFound = nameof(FileNotFound);
    public const string ToolNotInstalled = nameof(ToolNotInstalled);
    public const string ExternalCommandFailed = nameof(ExternalCommandFailed);
    public const string ConnectionFailed = nameof(ConnectionFailed);

    // Environment definitions and other YAML documents
    public const string YamlSyntaxError = nameof(YamlSyntaxError);
    public const string YamlUnknownKey = nameof(YamlUnknownKey);
    public const string YamlWrongType = nameof(YamlWrongType);
    public const string YamlMissingField = nameof(YamlMissingField);
    public const string YamlInvalidValue = nameof(YamlInvalidValue);
    public const string YamlDuplicateKey = nameof(YamlDuplicateKey);
    public const string EnvironmentDefinitionInvalid = nameof(EnvironmentDefinitionInvalid);
    public const string EnvironmentNotFound = nameof(EnvironmentNotFound);

    // Servers
    public const string InvalidServerName = nameof(InvalidServerName);
    public const string UnknownProvider = nameof(UnknownProvider);
    public const string UnknownSize = nameof(UnknownSize);
    public const string UnknownImage = nameof(UnknownImage);
    public const string ProviderUnavailable = nameof(ProviderUnavailable);
    public const string ServerCreateFailed = nameof(ServerCreateFailed);
    public const string ServerNotFound = nameof(ServerNotFound);
    public const string ServerRemoveFailed = nameof(ServerRemoveFailed);
    public const string ServerNotReady = nameof(ServerNotReady);
    public const string ImageBuildFailed = nameof(ImageBuildFailed);
    public const string LeftoverResources = nameof(LeftoverResources);
    public const string CloudCredentialsMissing = nameof(CloudCredentialsMissing);
    public const string CloudRequestFailed = nameof(CloudRequestFailed);
    public const string CloudThrottled = nameof(CloudThrottled);
    public const string SshIngressRequired = nameof(SshIngressRequired);

    // SSH
    public const string HostKeyMismatch = nameof(HostKeyMismatch);
    public const string HostKeyUnknown = nameof(HostKeyUnknown);
    public const string HostKeyUnattested = nameof(HostKeyUnattested);
    public const string SshConnectionFailed = nameof(SshConnectionFailed);
    public const string SshAuthenticationFailed = nameof(SshAuthenticationFailed);
    public const string RemoteCommandFailed = nameof(RemoteCommandFailed);
    public const string RemoteCommandTimeout = nameof(RemoteCommandTimeout);
    public const string RemoteFileUploadFailed = nameof(RemoteFileUploadFailed);

    // Hardening
    public const string HardeningProfileNotFound = nameof(HardeningProfileNotFound);
    public const string HardeningProfileInvalid = nameof(HardeningProfileInvalid);
    public const string HardeningUnknownRule = nameof(HardeningUnknownRule);
    public const string HardeningRuleNotFound = nameof(HardeningRuleNotFound);
    public const string HardeningUnknownParameter = nameof(HardeningUnknownParameter);
    public const string HardeningParameterInvalid = nameof(HardeningParameterInvalid);
    public const string HardeningServerFailed = nameof(HardeningServerFailed);
    public const string HardeningCheckFailed = nameof(HardeningCheckFailed);
    public const string HardeningRolledBack = nameof(HardeningRolledBack);
    public const string HardeningThresholdNotMet = nameof(HardeningThresholdNotMet);

    // Deploy
    public const string DeployRolledBack = nameof(DeployRolledBack);
    public const string DeployFailed = nameof(DeployFailed);
    public const string DeployRolloutStopped = nameof(DeployRolloutStopped);
    public const string DeployNotStarted = nameof(DeployNotStarted);
    public const string PromotionSourceMissing = nameof(PromotionSourceMissing);
    public const string PromotionSourceUnhealthy = nameof(PromotionSourceUnhealthy);
    public const string PromotionSourceInconsistent = nameof(PromotionSourceInconsistent);
    public const string AppSpecInvalid = nameof(AppSpecInvalid);
    public const string AppNotFound = nameof(AppNotFound);
    public const string SecretUnavailable = nameof(SecretUnavailable);
    public const string SecretFileTooOpen = nameof(SecretFileTooOpen);
    public const string SecretNotSingleLine = nameof(SecretNotSingleLine);
    public const string DeployImageNotFound = nameof(DeployImageNotFound);
    public const string DeployStepFailed = nameof(DeployStepFailed);
    public const string DeployMigrationFailed = nameof(DeployMigrationFailed);
    public const string DeployNotFound = nameof(DeployNotFound);

    // Kubernetes target (KubernetesErrors maps the API's answers to these)
    public const string KubernetesUnreachable = nameof(KubernetesUnreachable);
    public const string KubernetesUnauthorized = nameof(KubernetesUnauthorized);
    public const string KubernetesForbidden = nameof(KubernetesForbidden);
    public const string KubernetesConflict = nameof(KubernetesConflict);
    public const string KubernetesInvalid = nameof(KubernetesInvalid);
    public const string KubernetesNotFound = nameof(KubernetesNotFound);
    public const string KubernetesApiError = nameof(KubernetesApiError);
    public const string KubernetesConfigInvalid = nameof(KubernetesConfigInvalid);
    public const string KubernetesQuotaExceeded = nameof(KubernetesQuotaExceeded);

    // Data services
    public const string DataPlacementNotSupported = nameof(DataPlacementNotSupported);
    public const string DataStorageUnavailable = nameof(DataStorageUnavailable);
    public const string DataPortInUse = nameof(DataPortInUse);
    public const string DataServiceFailed = nameof(DataServiceFailed);
    public const string DataServiceNotFound = nameof(DataServiceNotFound);
    public const string BackupFailed = nameof(BackupFailed);
    public const string BackupNotFound = nameof(BackupNotFound);
    public const string BackupTargetNotWritable = nameof(BackupTargetNotWritable);
    public const string BackupChecksumMismatch = nameof(BackupChecksumMismatch);
    public const string BackupStoreNotFound = nameof(BackupStoreNotFound);
    public const string BackupStoreAccessDenied = nameof(BackupStoreAccessDenied);
    public const string BackupStoreUnreachable = nameof(BackupStoreUnreachable);
    public const string BackupStoreFailed = nameof(BackupStoreFailed);
    public const string RestoreFailed = nameof(RestoreFailed);
    public const string VolumeNotFound = nameof(VolumeNotFound);
    public const string VolumeNotEmpty = nameof(VolumeNotEmpty);
    public const string VolumeInUse = nameof(VolumeInUse);

    public const string ServerNotContainerHost = nameof(ServerNotContainerHost);
    public const string ContainerHostPrepareFailed = nameof(ContainerHostPrepareFailed);
    public const string ContainerImageTransferFailed = nameof(ContainerImageTransferFailed);

    // Monitoring
    public const string ProbeUrlInvalid = nameof(ProbeUrlInvalid);
    public const string ProbeSettingsInvalid = nameof(ProbeSettingsInvalid);
    public const string ProbeNoEndpoint = nameof(ProbeNoEndpoint);
    public const string ProbeNoDeployment = nameof(ProbeNoDeployment);
    public const string ServiceDown = nameof(ServiceDown);
    public const string ServiceDegraded = nameof(ServiceDegraded);
    public const string SloBreached = nameof(SloBreached);
    public const string ExportSettingsInvalid = nameof(ExportSettingsInvalid);
    public const string ExportTargetNotWritable = nameof(ExportTargetNotWritable);
    public const string ExportPushFailed = nameof(ExportPushFailed);
    public const string WebhookUrlInvalid = nameof(WebhookUrlInvalid);
    public const string WebhookPostFailed = nameof(WebhookPostFailed);
    public const string WebhookStateInvalid = nameof(WebhookStateInvalid);

    // Get-ServiceStats -PrometheusUrl / -Source Prometheus
    public const string PrometheusUnreachable = nameof(PrometheusUnreachable);
    public const string PrometheusQueryFailed = nameof(PrometheusQueryFailed);
    public const string PrometheusSettingsInvalid = nameof(PrometheusSettingsInvalid);
    public const string PrometheusNotFound = nameof(PrometheusNotFound);

    // Install-Monitoring
    public const string MonitoringConfigInvalid = nameof(MonitoringConfigInvalid);
    public const string MonitoringStartFailed = nameof(MonitoringStartFailed);
    public const string MonitoringNotInstalled = nameof(MonitoringNotInstalled);

    // Support reports
    public const string SupportReportExists = nameof(SupportReportExists);
}
