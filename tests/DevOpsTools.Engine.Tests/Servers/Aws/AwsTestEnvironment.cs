using System.Runtime.CompilerServices;

namespace DevOpsTools.Engine.Tests.Servers.Aws;

/// <summary>
/// Before anything in the test process touches the AWS SDK (which remembers where the shared
/// files are on first use): the shared credentials and config files are empty temporary files,
/// and instance metadata is off, so no test depends on the machine's ~/.aws or network.
/// </summary>
internal static class AwsTestEnvironment
{
    public static readonly string SharedDirectory = ScratchDirectory.Claim("dot-awscred-" + Environment.ProcessId).Path;

    public static string CredentialsFile => Path.Combine(SharedDirectory, "credentials");

    public static string ConfigFile => Path.Combine(SharedDirectory, "config");

    [ModuleInitializer]
    internal static void Initialize()
    {
        Directory.CreateDirectory(SharedDirectory);
        File.WriteAllText(CredentialsFile, string.Empty);
        File.WriteAllText(ConfigFile, string.Empty);
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", CredentialsFile);
        Environment.SetEnvironmentVariable("AWS_CONFIG_FILE", ConfigFile);
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                ScratchDirectory.Delete(SharedDirectory);
            }
            catch (IOException)
            {
            }
        };
    }
}
