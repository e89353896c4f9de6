using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Deploy.Kubernetes;
using k8s;
using k8s.Models;

namespace DevOpsTools.Engine.Tests.Deploy.Kubernetes;

/// <summary>Deploy, wait, roll back, plan, undo, logs and remove against the in-process Kubernetes endpoint.</summary>
public sealed class KubernetesTargetTests(KubeFixture fx) : IClassFixture<KubeFixture>
{
    [Fact]
    public async Task Apply_creates_the_namespace_and_waits_until_every_replica_is_available()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory();
        var sink = new RecordingSink();
        var deployment = await factory.ForCluster(env).ApplyAsync(KubeFixture.App(env, "localhost/hello:1", replicas: 2), KubeFixture.Options(), KubeFixture.Context(sink));

        Assert.Equal(DeploymentStatus.Healthy, deployment.Status);
        Assert.Equal(("Kubernetes", $"kube-endpoint/{env}", 1, 2, 2), (deployment.TargetKind, deployment.Target, deployment.Revision, deployment.ReplicasDesired, deployment.ReplicasReady));
        Assert.Equal("localhost/hello:1", deployment.Image);
        Assert.StartsWith("sha256:", deployment.ImageDigest, StringComparison.Ordinal);
        Assert.Contains(sink.Progress, p => p.Completed);

        var ns = await fx.Client.CoreV1.ReadNamespaceAsync(env);
        Assert.Equal("devopstools", ns.Metadata.Labels["app.kubernetes.io/managed-by"]);
        var live = await fx.Client.AppsV1.ReadNamespacedDeploymentAsync("hello", env);
        var container = live.Spec.Template.Spec.Containers.Single();
        Assert.Equal(("/healthz", "8080"), (container.ReadinessProbe.HttpGet.Path, container.ReadinessProbe.HttpGet.Port.Value));
        Assert.Equal(30, live.Spec.ProgressDeadlineSeconds);
        Assert.Equal("500m", container.Resources.Limits["cpu"].ToString());
        Assert.Contains(live.Metadata.ManagedFields, m => m.Manager == "devopstools" && m.Operation == "Apply");
        var service = await fx.Client.CoreV1.ReadNamespacedServiceAsync("hello", env);
        var endpoint = Assert.Single(deployment.Endpoints);
        Assert.Equal((service.Spec.ClusterIP, 8080, "/healthz"), (endpoint.Address, endpoint.Port, endpoint.HealthPath));
        Assert.Equal("Bound", (await fx.Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("hello-data", env)).Status.Phase);
    }

    [Fact]
    public async Task Config_files_become_a_ConfigMap_and_secrets_are_referenced_never_written_into_the_Deployment()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory(secrets: name => name == "HELLO_API_KEY" ? "k-123-secret" : null);
        var app = KubeFixture.App(env, "localhost/hello:1") with
        {
            ConfigFiles = [new AppConfigFile("/etc/hello/hello.conf", "greeting = hi\n")],
            Secrets =
            [
                new SecretReference { Name = "API_KEY", FromEnvironment = "HELLO_API_KEY" },
                new SecretReference { Name = "DB_PASSWORD", FromKubernetesSecret = "db-credentials/password" },
            ],
        };

        var deployment = await factory.ForCluster(env).ApplyAsync(app, KubeFixture.Options(), KubeFixture.Context());

        Assert.Equal(DeploymentStatus.Healthy, deployment.Status);
        var config = await fx.Client.CoreV1.ReadNamespacedConfigMapAsync("hello-config", env);
        Assert.Equal("greeting = hi\n", Assert.Single(config.Data).Value);
        var live = await fx.Client.AppsV1.ReadNamespacedDeploymentAsync("hello", env);
        var container = live.Spec.Template.Spec.Containers.Single();
        var mount = Assert.Single(container.VolumeMounts, m => m.MountPath == "/etc/hello/hello.conf");
        Assert.Equal(config.Data.Keys.Single(), mount.SubPath);
        Assert.Equal(("hello-secrets", "API_KEY"), (container.Env.Single(e => e.Name == "API_KEY").ValueFrom.SecretKeyRef.Name, container.Env.Single(e => e.Name == "API_KEY").ValueFrom.SecretKeyRef.Key));
        Assert.Equal(("db-credentials", "password"), (container.Env.Single(e => e.Name == "DB_PASSWORD").ValueFrom.SecretKeyRef.Name, container.Env.Single(e => e.Name == "DB_PASSWORD").ValueFrom.SecretKeyRef.Key));
        Assert.DoesNotContain("k-123-secret", KubernetesJson.Serialize(live), StringComparison.Ordinal);
        Assert.Equal("k-123-secret", System.Text.Encoding.UTF8.GetString((await fx.Client.CoreV1.ReadNamespacedSecretAsync("hello-secrets", env)).Data["API_KEY"]));
    }

    [Fact]
    public async Task The_migration_runs_once_as_a_Job_before_the_rollout_and_a_failing_one_changes_nothing()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory();
        var target = factory.ForCluster(env);
        var app = KubeFixture.App(env, "localhost/hello:1") with { MigrationCommand = ["python3", "server.py", "--migrate"] };

        var deployments = await Rollout.RunAsync(app, [target], KubeFixture.Options(), KubeFixture.Context());

        Assert.Equal(DeploymentStatus.Healthy, Assert.Single(deployments).Status);
        Assert.Empty((await fx.Client.BatchV1.ListNamespacedJobAsync(env)).Items);

        var run = await target.MigrateAsync(app with { Image = "localhost/hello:2" }, KubeFixture.Options(), KubeFixture.Context());
        Assert.Contains(run.Output, l => l.Contains("completed", StringComparison.Ordinal));
        Assert.Equal($"kube-endpoint/{env}", run.Target);

        var ex = await Assert.ThrowsAsync<DevOpsToolsException>(() => Rollout.RunAsync(app with { Image = "localhost/hello:broken" }, [target], KubeFixture.Options(), KubeFixture.Context()));
        Assert.Equal(ErrorIds.DeployMigrationFailed, ex.ErrorId);
        Assert.Contains("BackoffLimitExceeded", ex.Message, StringComparison.Ordinal);
        Assert.Contains("exited with code 1", ex.Message, StringComparison.Ordinal);
        Assert.Equal("localhost/hello:1", (await fx.Client.AppsV1.ReadNamespacedDeploymentAsync("hello", env)).Spec.Template.Spec.Containers[0].Image);
        Assert.Empty((await fx.Client.BatchV1.ListNamespacedJobAsync(env)).Items);
    }

    [Fact]
    public async Task A_crash_looping_image_is_rolled_back_with_the_pods_reason_events_and_log()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory();
        var target = factory.ForCluster(env);
        await target.ApplyAsync(KubeFixture.App(env, "localhost/hello:1"), KubeFixture.Options(), KubeFixture.Context());

        var failed = await target.ApplyAsync(KubeFixture.App(env, "localhost/hello:broken"), KubeFixture.Options(timeoutSeconds: 3), KubeFixture.Context());

        Assert.Equal(DeploymentStatus.RolledBack, failed.Status);
        Assert.True(failed.RolledBack);
        Assert.Contains("ProgressDeadlineExceeded", failed.RollbackReason, StringComparison.Ordinal);
        Assert.Contains("CrashLoopBackOff", failed.RollbackReason, StringComparison.Ordinal);
        Assert.Contains("Back-off restarting failed container", failed.RollbackReason, StringComparison.Ordinal);
        Assert.Contains("marked broken", failed.RollbackReason, StringComparison.Ordinal);
        var live = await fx.Client.AppsV1.ReadNamespacedDeploymentAsync("hello", env);
        Assert.Equal("localhost/hello:1", live.Spec.Template.Spec.Containers.Single().Image);
        Assert.Equal("localhost/hello:1", failed.Image);
        var now = await target.GetAsync("hello", env, KubeFixture.Context());
        Assert.Equal(DeploymentStatus.Healthy, now!.Status);
        var broken = Assert.Single(now.History, r => r.Image == "localhost/hello:broken");
        Assert.Equal(DeploymentStatus.RolledBack, broken.Status);
        Assert.Contains("CrashLoopBackOff", broken.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_first_deploy_that_fails_is_Failed_and_NoRollback_leaves_it_in_place()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory();
        var target = factory.ForCluster(env);
        var failed = await target.ApplyAsync(KubeFixture.App(env, "localhost/hello:broken"), KubeFixture.Options(timeoutSeconds: 2), KubeFixture.Context());

        Assert.Equal(DeploymentStatus.Failed, failed.Status);
        Assert.Contains("CrashLoopBackOff", failed.RollbackReason, StringComparison.Ordinal);
        Assert.Equal("localhost/hello:broken", (await fx.Client.AppsV1.ReadNamespacedDeploymentAsync("hello", env)).Spec.Template.Spec.Containers[0].Image);
    }

    [Fact]
    public async Task Plan_is_a_dry_run_diff_that_changes_nothing_and_never_shows_a_secret()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory(secrets: name => name == "HELLO_TOKEN" ? "s3cr3t-value-1" : null);
        var target = factory.ForCluster(env);
        var app = KubeFixture.App(env, "localhost/hello:1") with { Secrets = [new SecretReference { Name = "TOKEN", FromEnvironment = "HELLO_TOKEN" }] };
        await target.ApplyAsync(app, KubeFixture.Options(), KubeFixture.Context());
        var before = await fx.Client.AppsV1.ReadNamespacedDeploymentAsync("hello", env);
        var secretBefore = await fx.Client.CoreV1.ReadNamespacedSecretAsync("hello-secrets", env);

        var unchanged = await target.PlanAsync(app, KubeFixture.Context());
        Assert.False(unchanged.HasChanges, unchanged.Diff);

        await using var other = fx.Factory(secrets: name => name == "HELLO_TOKEN" ? "s3cr3t-value-2" : null);
        var plan = await other.ForCluster(env).PlanAsync(app with { Image = "localhost/hello:2", Replicas = 3 }, KubeFixture.Context());

        Assert.True(plan.HasChanges);
        Assert.Matches("(?m)^- +\"image\": \"localhost/hello:1\",$", plan.Diff);
        Assert.Matches("(?m)^\\+ +\"image\": \"localhost/hello:2\",$", plan.Diff);
        Assert.Matches("(?m)^- +\"replicas\": 1,$", plan.Diff);
        Assert.Matches("(?m)^\\+ +\"replicas\": 3,$", plan.Diff);
        Assert.Matches("(?m)^@@ -\\d+,\\d+ \\+\\d+,\\d+ @@$", plan.Diff);
        Assert.Contains("(hidden, changed)", plan.Diff, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", plan.Diff, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String("s3cr3t-value-1"u8.ToArray()), plan.Diff, StringComparison.Ordinal);
        Assert.DoesNotContain("managedFields", plan.Diff, StringComparison.Ordinal);
        Assert.Contains("Deployment/hello", plan.Summary, StringComparison.Ordinal);
        var after = await fx.Client.AppsV1.ReadNamespacedDeploymentAsync("hello", env);
        Assert.Equal(before.Metadata.ResourceVersion, after.Metadata.ResourceVersion);
        Assert.Equal(secretBefore.Metadata.ResourceVersion, (await fx.Client.CoreV1.ReadNamespacedSecretAsync("hello-secrets", env)).Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Plan_for_a_new_environment_shows_the_namespace_and_creates_nothing()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory();
        var plan = await factory.ForCluster(env).PlanAsync(KubeFixture.App(env, "localhost/hello:1"), KubeFixture.Context());

        Assert.True(plan.HasChanges);
        Assert.Contains($"Namespace/{env}", plan.Summary, StringComparison.Ordinal);
        Assert.Contains("+++ Deployment/hello (after apply)", plan.Diff, StringComparison.Ordinal);
        var namespaces = await fx.Client.CoreV1.ListNamespaceAsync();
        Assert.DoesNotContain(namespaces.Items, n => n.Metadata.Name == env);
    }

    [Fact]
    public async Task Undo_restores_a_named_revision_and_history_lists_the_revisions()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory();
        var target = factory.ForCluster(env);
        foreach (var version in new[] { "1", "2", "3" })
        {
            Assert.Equal(DeploymentStatus.Healthy, (await target.ApplyAsync(KubeFixture.App(env, "localhost/hello:" + version), KubeFixture.Options(), KubeFixture.Context())).Status);
        }

        var restored = await target.UndoAsync("hello", env, 1, KubeFixture.Options(), KubeFixture.Context());

        Assert.Equal((DeploymentStatus.Healthy, "localhost/hello:1", 4), (restored.Status, restored.Image, restored.Revision));
        Assert.Equal([4, 3, 2], restored.History.Select(r => r.Revision));
        Assert.Equal("localhost/hello:1", (await fx.Client.AppsV1.ReadNamespacedDeploymentAsync("hello", env)).Spec.Template.Spec.Containers[0].Image);

        var back = await target.UndoAsync("hello", env, null, KubeFixture.Options(), KubeFixture.Context());
        Assert.Equal(("localhost/hello:3", 5), (back.Image, back.Revision));
        var missing = await Assert.ThrowsAsync<DevOpsToolsException>(() => target.UndoAsync("hello", env, 1, KubeFixture.Options(), KubeFixture.Context()));
        Assert.Equal(ErrorIds.DeployNotFound, missing.ErrorId);
    }

    [Fact]
    public async Task Logs_come_from_every_pod_named_by_the_pod()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory();
        var target = factory.ForCluster(env);
        await target.ApplyAsync(KubeFixture.App(env, "localhost/hello:1", replicas: 2), KubeFixture.Options(), KubeFixture.Context());
        var pods = (await fx.Client.CoreV1.ListNamespacedPodAsync(env)).Items.Select(p => p.Metadata.Name).Order(StringComparer.Ordinal).ToList();

        // A container prints its "ready" line on the heartbeat after it became ready: read until both did.
        var lines = new List<AppLogLine>();
        for (var attempt = 0; attempt < 30 && lines.Count(l => l.Line.Contains("ready:", StringComparison.Ordinal)) < pods.Count; attempt++)
        {
            await Task.Delay(attempt == 0 ? 0 : 200);
            lines.Clear();
            await foreach (var line in target.GetLogsAsync("hello", env, new AppLogQuery(), KubeFixture.Context()))
            {
                lines.Add(line);
            }
        }

        Assert.Equal(pods, lines.Select(l => l.Instance).Distinct().Order(StringComparer.Ordinal));
        Assert.All(pods, pod => Assert.Contains(lines, l => l.Instance == pod && l.Line.Contains("ready: listening on port 8080", StringComparison.Ordinal)));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        var followed = new List<AppLogLine>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var line in target.GetLogsAsync("hello", env, new AppLogQuery(Tail: 1, Follow: true), KubeFixture.Context(token: cts.Token)))
            {
                followed.Add(line);
            }
        });
        Assert.Contains(followed, l => l.Line.Contains("heartbeat", StringComparison.Ordinal));
        Assert.True(followed.Count > pods.Count, $"follow streamed {followed.Count} lines");
    }

    [Fact]
    public async Task Remove_deletes_only_the_objects_the_module_applied()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory();
        var target = factory.ForCluster(env);
        await target.ApplyAsync(KubeFixture.App(env, "localhost/hello:1"), KubeFixture.Options(), KubeFixture.Context());
        // Labelled alike but created by someone else: not the module's to delete.
        await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "hello-notes", Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "hello", ["app.kubernetes.io/managed-by"] = "devopstools" } },
            Data = new Dictionary<string, string> { ["a"] = "b" },
        }, env, fieldManager: "someone-else");

        var removed = await target.RemoveAsync("hello", env, removeVolumes: false, KubeFixture.Context());

        Assert.Equal(DeploymentStatus.Removed, removed.Status);
        Assert.Empty((await fx.Client.AppsV1.ListNamespacedDeploymentAsync(env)).Items);
        Assert.Empty((await fx.Client.CoreV1.ListNamespacedServiceAsync(env)).Items);
        Assert.Equal(["hello-notes"], (await fx.Client.CoreV1.ListNamespacedConfigMapAsync(env)).Items.Select(c => c.Metadata.Name).Where(n => n.StartsWith("hello", StringComparison.Ordinal)));
        Assert.Single((await fx.Client.CoreV1.ListNamespacedPersistentVolumeClaimAsync(env)).Items);
        Assert.Null(await target.GetAsync("hello", env, KubeFixture.Context()));

        await target.RemoveAsync("hello", env, removeVolumes: true, KubeFixture.Context());
        Assert.Empty((await fx.Client.CoreV1.ListNamespacedPersistentVolumeClaimAsync(env)).Items);
        var gone = await Assert.ThrowsAsync<DevOpsToolsException>(() => target.RemoveAsync("hello", env, false, KubeFixture.Context()));
        Assert.Equal(ErrorIds.DeployNotFound, gone.ErrorId);
    }

    [Fact]
    public async Task Promotion_deploys_the_digest_that_runs_in_the_source_namespace()
    {
        var preprod = KubeFixture.NewEnvironment();
        var prod = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory();
        await factory.ForCluster(preprod).ApplyAsync(KubeFixture.App(preprod, "localhost/hello:2"), KubeFixture.Options(), KubeFixture.Context());

        var promoted = await Rollout.PromotedImageAsync("hello", preprod, [factory.ForCluster(preprod)], KubeFixture.Context());
        var deployed = await factory.ForCluster(prod).ApplyAsync(KubeFixture.App(prod, promoted.Image) with { ImageDigest = promoted.Digest }, KubeFixture.Options(), KubeFixture.Context());

        var source = await factory.ForCluster(preprod).GetAsync("hello", preprod, KubeFixture.Context());
        Assert.Equal(source!.ImageDigest, deployed.ImageDigest);
        Assert.Equal("localhost/hello:2", deployed.Image);
        Assert.Equal("localhost/hello:2@" + source.ImageDigest, (await fx.Client.AppsV1.ReadNamespacedDeploymentAsync("hello", prod)).Spec.Template.Spec.Containers[0].Image);
        Assert.Equal(DeploymentStatus.Healthy, deployed.Status);
    }
}
