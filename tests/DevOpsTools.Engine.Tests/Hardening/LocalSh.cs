using System.Diagnostics;

namespace DevOpsTools.Engine.Tests.Hardening;

/// <summary>Runs a hardening script on this machine's own sh, the shell the servers use, and returns its stdout.</summary>
internal static class LocalSh
{
    public static string Run(string script)
    {
        var psi = new ProcessStartInfo("sh") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(script);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(30_000), "sh did not finish");
        Assert.True(p.ExitCode == 0, $"sh exited {p.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }
}
