using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace DevOpsTools.Commands.Infrastructure;

/// <summary>
/// Loads DevOpsTools.Engine, and through it every third-party assembly (YamlDotNet, SSH.NET,
/// AWSSDK, KubernetesClient and what it brings: Fractions, the IdentityModel token libraries), into a private AssemblyLoadContext from the module's
/// Dependencies/ folder. Only the engine is resolved from the default context, so another
/// module that loaded a different YamlDotNet (before or after us) cannot clash with ours.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private const string EngineAssemblyName = "DevOpsTools.Engine";

    private static readonly string DependencyDirectory =
        Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "Dependencies");

    private static readonly DependencyLoadContext Context = new(DependencyDirectory);
    private static int _registered;

    /// <summary>
    /// Runs when this assembly is loaded, before PowerShell reflects over the cmdlets (their
    /// parameter types live in the engine), so the resolver is in place in time.
    /// </summary>
#pragma warning disable CA2255 // a module initializer is the point here
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            AssemblyLoadContext.Default.Resolving += ResolveEngine;
        }
    }

    public void OnImport() => Register();

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        if (Interlocked.Exchange(ref _registered, 0) == 1)
        {
            AssemblyLoadContext.Default.Resolving -= ResolveEngine;
        }
    }

    private static Assembly? ResolveEngine(AssemblyLoadContext defaultContext, AssemblyName name) =>
        string.Equals(name.Name, EngineAssemblyName, StringComparison.Ordinal)
            ? Context.LoadFromAssemblyName(name)
            : null;
}

/// <summary>Resolves assemblies from Dependencies/ first; framework assemblies fall through to the default context.</summary>
internal sealed class DependencyLoadContext : AssemblyLoadContext
{
    private readonly string _directory;

    public DependencyLoadContext(string directory)
        : base("DevOpsTools", isCollectible: false)
    {
        _directory = directory;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = Path.Combine(_directory, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = Path.Combine(_directory, unmanagedDllName);
        return File.Exists(path) ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
}
