using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Tests.Core;

public class SecureFilesTests : IDisposable
{
    private readonly ScratchDirectory _scratch = ScratchDirectory.Create("dot-secure", create: false);

    private string _root => _scratch.Path;

    [Fact]
    public void Secret_files_are_0600_in_0700_directories()
    {
        var file = Path.Combine(_root, "keys", "test", "id_ed25519");
        SecureFiles.WritePrivateFile(file, "secret");

        Assert.Equal("secret", File.ReadAllText(file));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(file)!));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_root));
        }

        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(file)!, "*.tmp"));
    }

    [Fact]
    public void Data_root_honours_DEVOPSTOOLS_HOME()
    {
        var before = Environment.GetEnvironmentVariable(ModuleData.HomeVariable);
        try
        {
            Environment.SetEnvironmentVariable(ModuleData.HomeVariable, _root);
            Assert.Equal(_root, ModuleData.Default.Root);
            var keys = ModuleData.Default.Directory("keys");
            Assert.True(Directory.Exists(keys));
        }
        finally
        {
            Environment.SetEnvironmentVariable(ModuleData.HomeVariable, before);
        }
    }

    public void Dispose()
    {
        _scratch.Dispose();
    }
}
