using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring.Reports;

namespace DevOpsTools.Commands.Monitoring;

/// <summary>
/// Writes service statistics from the pipeline as JSON, CSV, Prometheus text or an HTML report: to a file (written
/// whole under a temporary name, then renamed), to a Pushgateway, or to the pipeline as text.
/// </summary>
[Cmdlet(VerbsData.Export, "ServiceStats", SupportsShouldProcess = true, DefaultParameterSetName = FileSet)]
[OutputType(typeof(FileInfo), typeof(string))]
public sealed class ExportServiceStatsCommand : DevOpsToolsCmdlet
{
    private const string FileSet = "File";
    private const string PushSet = "Push";
    private readonly List<ServiceStats> _stats = [];

    /// <summary>Stats from Get-ServiceStats.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public ServiceStats[] InputObject { get; set; } = [];

    /// <summary>Json, Csv, Prometheus (text exposition format 0.0.4) or Html (a self-contained report page). A string set: see GetServiceStatsCommand.FailOn.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = FileSet)]
    [ValidateSet("Json", "Csv", "Prometheus", "Html")]
    public string Format { get; set; } = "Json";

    /// <summary>The file to write; without it the text goes to the pipeline.</summary>
    [Parameter(Position = 1, ParameterSetName = FileSet)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Refuse to replace an existing file.</summary>
    [Parameter(ParameterSetName = FileSet)]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>A Pushgateway to push the Prometheus rendering to (PUT /metrics/job/&lt;Job&gt;).</summary>
    [Parameter(Mandatory = true, ParameterSetName = PushSet)]
    public Uri? PushgatewayUrl { get; set; }

    /// <summary>The Pushgateway job the figures are grouped under.</summary>
    [Parameter(ParameterSetName = PushSet)]
    [ValidatePattern(Pushgateway.JobPattern)]
    public string Job { get; set; } = "devopstools";

    protected override void ProcessRecordCore() => _stats.AddRange(InputObject.Where(s => s is not null));

    protected override void EndProcessingCore()
    {
        if (ParameterSetName == PushSet)
        {
            Push();
            return;
        }

        var text = ServiceStatsExport.Render(_stats, Enum.Parse<ServiceStatsFormat>(Format));
        if (Path is null)
        {
            WriteObject(text);
            return;
        }

        var path = GetUnresolvedProviderPathFromPSPath(Path);
        var directory = System.IO.Path.GetDirectoryName(path);
        if (directory is null || !Directory.Exists(directory))
        {
            ThrowEngineError(new DevOpsToolsException(ErrorIds.ExportTargetNotWritable, ErrorKind.ObjectNotFound,
                $"-Path {path}: the folder {directory} does not exist.", path));
        }

        if (NoClobber && File.Exists(path))
        {
            ThrowEngineError(new DevOpsToolsException(ErrorIds.ExportTargetNotWritable, ErrorKind.ResourceExists,
                $"-Path {path} exists and -NoClobber was given; nothing was written.", path));
        }

        if (!ShouldProcess(path, $"Write {_stats.Count} service stats as {Format}"))
        {
            return;
        }

        try
        {
            WriteObject(ServiceStatsExport.WriteFile(path, text));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowEngineError(new DevOpsToolsException(ErrorIds.ExportTargetNotWritable, ErrorKind.PermissionDenied,
                $"-Path {path} could not be written: {ex.Message}", path, ex));
        }
    }

    private void Push()
    {
        var url = Pushgateway.GroupUrl(PushgatewayUrl!, Job);
        if (!ShouldProcess(url.ToString(), $"Push {_stats.Count} service stats"))
        {
            return;
        }

        var text = ServiceStatsExport.Render(_stats, ServiceStatsFormat.Prometheus);
        RunEngine(context => Pushgateway.PushAsync(PushgatewayUrl!, Job, text, context.CancellationToken));
        WriteVerbose($"Pushed {_stats.Count} service stats to {url}.");
    }
}
