using System.Globalization;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Deploy.ContainerHost;

/// <summary>
/// The container-host steps (Resources/deploy/container-host.sh) for one host: each run gets the
/// app's state directory and names as validated environment variables, and a failed step becomes
/// a DeployStepFailed error naming the step and the host. Also the reads every operation starts
/// with: the state file and an image's digest.
/// </summary>
internal sealed class HostSteps
{
    internal static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);
    private readonly IHostScriptRunner _runner;
    private readonly ContainerHostOptions _options;

    public HostSteps(IHostScriptRunner runner, ContainerHostOptions options)
    {
        _runner = runner;
        _options = options;
    }

    private string Name => _runner.Name;

    /// <summary>What every value of an app must be before it reaches a step: an image reference and environment variable names.</summary>
    public static void Validate(ResolvedApp app)
    {
        if (!Validation.IsImage(app.Image) || app.Variables.Keys.Concat(app.Secrets.Select(x => x.Name)).Any(k => !Validation.IsWhole("[A-Za-z_][A-Za-z0-9_]*", k)))
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument, $"App '{app.Name}': image '{Validation.Printable(app.Image)}' or a variable name is not valid; nothing was changed.", app.Name);
        }
    }

    /// <summary>An app's state directory on the host (DEPLOY_DIR of its steps).</summary>
    public string DeployDirectory(string app, string environment) => $"{_options.StateRoot}/{environment}/{app}";

    /// <summary>The env file of a revision ("r3") or of the migration ("migrate") on the host.</summary>
    public string SecretsFile(string app, string environment, string id) => $"{DeployDirectory(app, environment)}/secrets/{id}.env";

    /// <summary>The content digest (image id, "sha256:...") of an image reference or digest on the host; DeployImageNotFound when the host does not have it.</summary>
    public async Task<string> DigestAsync(string app, string environment, string image, EngineContext context)
    {
        var run = await RunAsync(app, environment, ["digest", image], context, check: false).ConfigureAwait(false);
        if (!run.Succeeded)
        {
            throw new DevOpsToolsException(ErrorIds.DeployImageNotFound, ErrorKind.ObjectNotFound, $"{environment}/{app}: {run.StdErr.Trim()} on {Name}; nothing was changed.", image)
            { RecommendedAction = "Build or load the image on the host first (podman build, or podman save | podman load)." };
        }

        var digest = run.StdOut.Trim();
        return Validation.IsWhole("sha256:[0-9a-f]{64}", digest)
            ? digest
            : throw new DevOpsToolsException(ErrorIds.DeployStepFailed, ErrorKind.InvalidData, $"{environment}/{app}: {Name} reports '{Validation.Printable(digest)}' as the id of {image}, not a sha256 digest.", image);
    }

    /// <summary>The apps with a state file in the environment's directory (the script's apps step).</summary>
    public async Task<IReadOnlyList<string>> ListAppsAsync(string environment, EngineContext context)
    {
        if (!Validation.IsRfc1123Label(environment))
        {
            throw new ArgumentException($"Environment '{Validation.Printable(environment)}' must be an RFC 1123 label (lower-case letters, digits, '-').");
        }

        var result = await _runner.RunAsync(["apps"], new Dictionary<string, string> { ["DEPLOY_DIR"] = $"{_options.StateRoot}/{environment}", ["APP"] = "-", ["ENV_NAME"] = environment },
            StepTimeout, null, context.CancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new DevOpsToolsException(ErrorIds.DeployStepFailed, ErrorKind.InvalidOperation,
                $"{environment} on {Name}: step 'apps' failed (exit {result.ExitCode}): {ExternalProcess.Tail(result.StdErr, 4).Trim()}", environment);
        }

        // Only names the other steps accept: a stray directory is not an app.
        return result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(Validation.IsRfc1123Label).ToList();
    }

    public async Task<HostState?> ReadStateAsync(string app, string environment, EngineContext context) =>
        HostState.Parse((await RunAsync(app, environment, ["read-state"], context).ConfigureAwait(false)).StdOut);

    public Task WriteStateAsync(HostState state, EngineContext context) =>
        RunAsync(state.App, state.Environment, ["write-state"], context, env: new Dictionary<string, string> { ["STATE_JSON"] = state.ToJson() });

    public async Task<HostScriptResult> RunAsync(string app, string environment, string[] args, EngineContext context, Action<string>? onLine = null, TimeSpan? timeout = null, bool check = true, Dictionary<string, string>? env = null)
    {
        if (!Validation.IsRfc1123Label(app) || !Validation.IsRfc1123Label(environment))
        {
            throw new ArgumentException($"App '{Validation.Printable(app)}' and environment '{Validation.Printable(environment)}' must be RFC 1123 labels (lower-case letters, digits, '-').");
        }

        var environmentVariables = new Dictionary<string, string>(env ?? [])
        {
            ["DEPLOY_DIR"] = DeployDirectory(app, environment),
            ["APP"] = app,
            ["ENV_NAME"] = environment,
            ["SUPERVISOR"] = _options.Supervisor,
        };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = await _runner.RunAsync(args, environmentVariables, timeout ?? StepTimeout, onLine, context.CancellationToken).ConfigureAwait(false);
        // Where a deploy's time goes, step by step (-Debug): the first thing to read when one is slow.
        context.Output.WriteDebug(string.Create(CultureInfo.InvariantCulture, $"{Name}: step {args[0]} took {watch.Elapsed.TotalMilliseconds:0} ms (exit {result.ExitCode})"));
        if (check && !result.Succeeded)
        {
            throw new DevOpsToolsException(ErrorIds.DeployStepFailed, ErrorKind.InvalidOperation,
                $"{environment}/{app} on {Name}: step '{args[0]}' failed (exit {result.ExitCode}): {ExternalProcess.Tail(result.StdErr, 4).Trim()}", app);
        }

        return result;
    }
}
