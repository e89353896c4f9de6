using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using DevOpsTools.Engine.Core;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// File upload over SFTP: the content goes as the login user into a fresh `mktemp -d` directory
/// (0700) in /tmp, then `place-file.sh` runs as root through `sudo -n`: it checks the staged
/// file's SHA-256, installs it beside the destination with the requested mode and owner, renames
/// it into place and reports the placed file's SHA-256, which must match what was sent.
/// </summary>
internal static partial class SshFileUpload
{
    private static readonly Lazy<string> PlaceScript = new(() =>
    {
        using var stream = typeof(SshFileUpload).Assembly.GetManifestResourceStream("ssh/place-file.sh")
            ?? throw new InvalidOperationException("The resource ssh/place-file.sh is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    });

    public static async Task<RemoteFileInfo> UploadAsync(SshConnectionPool pool, Server server, Stream content, RemoteFileTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(target);
        target.Validate();

        // The hash needs a second pass over the content: buffer a stream that cannot seek.
        await using var buffered = content.CanSeek ? null : new MemoryStream();
        var source = content;
        if (buffered is not null)
        {
            await content.CopyToAsync(buffered, cancellationToken).ConfigureAwait(false);
            buffered.Position = 0;
            source = buffered;
        }

        var start = source.Position;
        var sha256 = Convert.ToHexString(await SHA256.HashDataAsync(source, cancellationToken).ConfigureAwait(false)).ToLowerInvariant();
        source.Position = start;

        var client = await pool.GetClientAsync(server, cancellationToken).ConfigureAwait(false);
        var stagingDir = await RunAsync(client, "mktemp -d /tmp/devopstools-upload.XXXXXXXXXX", server, "could not create a staging directory", cancellationToken).ConfigureAwait(false);
        if (!StagingDir().IsMatch(stagingDir))
        {
            throw Failed(server, target, $"mktemp returned an unexpected staging directory '{stagingDir}'.", null);
        }

        var staged = stagingDir + "/content";
        try
        {
            using (var sftp = await pool.ConnectSftpAsync(server, cancellationToken).ConfigureAwait(false))
            {
                await sftp.Client.UploadFileAsync(source, staged, cancellationToken).ConfigureAwait(false);
            }

            string[] arguments = [stagingDir, staged, target.Path, target.NormalizedMode, target.Owner, target.Group, sha256];
            var command = "sudo -n sh -c " + ShellQuote(PlaceScript.Value) + " place-file " + string.Join(' ', arguments.Select(ShellQuote));
            var placed = RemoteFileInfo.Parse(target, await RunAsync(client, command, server, $"could not place {target.Path}", cancellationToken).ConfigureAwait(false));
            if (!string.Equals(placed.Sha256, sha256, StringComparison.Ordinal))
            {
                throw Failed(server, target, $"the placed file's SHA-256 is {placed.Sha256}, but {sha256} was sent.", null);
            }

            return placed;
        }
        catch (Exception ex) when (ex is SshException or SftpPathNotFoundException or SftpPermissionDeniedException or IOException)
        {
            throw Failed(server, target, ex.Message, ex);
        }
        finally
        {
            // place-file.sh removes the staging directory; this covers a failed upload.
            await RemoveStagingAsync(client, stagingDir).ConfigureAwait(false);
        }
    }

    /// <summary>Quotes a value as one sh word ('...', with ' written as '\'').</summary>
    internal static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static async Task<string> RunAsync(SshClient client, string commandText, Server server, string what, CancellationToken cancellationToken)
    {
        using var command = client.CreateCommand(commandText, Encoding.UTF8);
        await command.ExecuteAsync(cancellationToken).ConfigureAwait(false);
        if (command.ExitStatus != 0)
        {
            throw new DevOpsToolsException(ErrorIds.RemoteFileUploadFailed, ErrorKind.InvalidOperation,
                $"Upload to {server.Environment}/{server.Name}: {what} (exit {command.ExitStatus}): {ExternalProcess.Tail(command.Error, 3)}", server);
        }

        return command.Result.Trim();
    }

    private static async Task RemoveStagingAsync(SshClient client, string stagingDir)
    {
        try
        {
            using var command = client.CreateCommand("rm -rf -- " + ShellQuote(stagingDir));
            await command.ExecuteAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SshException or TimeoutException or InvalidOperationException or ObjectDisposedException)
        {
            // Left in /tmp (mode 0700, the login user's): the server's tmp cleaning removes it.
        }
    }

    private static DevOpsToolsException Failed(Server server, RemoteFileTarget target, string detail, Exception? inner) =>
        new(ErrorIds.RemoteFileUploadFailed, ErrorKind.InvalidOperation, $"Upload of {target.Path} to {server.Environment}/{server.Name} failed: {detail}", server, inner);

    [GeneratedRegex(@"^/tmp/devopstools-upload\.[A-Za-z0-9]{10}$", RegexOptions.CultureInvariant)]
    private static partial Regex StagingDir();
}
