using System.Text;

namespace DevOpsTools.Engine.Deploy.ContainerHost;

/// <summary>
/// The systemd unit of one container on a server: the shape `podman generate systemd --new
/// --name --restart-policy=always --stop-timeout 10` gives (podman run --rm under Type=notify
/// with conmon in the unit's cgroup, stopped by the container id file), written from the
/// container's arguments directly. Generating it asked podman for a `podman create` and a
/// `generate` on every start (about 0.25 s of a server deploy). Unlike generate's, it has no
/// ExecStopPost `podman rm`: --rm removes the stopped container already, and the next start's
/// --replace takes over any container a crash left, so that would be one more podman process
/// (0.1-0.2 s) on every stop for nothing.
/// </summary>
public static class SystemdUnit
{
    /// <summary>
    /// The flag container-host.sh turns into --cgroups=disabled on a host whose podman has no
    /// cgroups (inside a Podman server); elsewhere conmon stays in the unit's cgroup, as
    /// Type=notify with NotifyAccess=all needs.
    /// </summary>
    public const string CgroupsFlag = "--cgroups=no-conmon";

    /// <param name="name">The container's name (validated by the caller: a podman name).</param>
    /// <param name="runArguments">podman run arguments after the name: options, "--", the image and its command.</param>
    public static string ForContainer(string name, IReadOnlyList<string> runArguments)
    {
        ArgumentNullException.ThrowIfNull(runArguments);
        var unit = new StringBuilder()
            .Append("# devopstools-").Append(name).Append(".service: written by DevOpsTools (the shape of podman generate systemd --new)\n")
            .Append("[Unit]\n")
            .Append("Description=DevOpsTools container ").Append(name).Append('\n')
            .Append("Wants=network-online.target\n")
            .Append("After=network-online.target\n")
            .Append("RequiresMountsFor=%t/containers\n")
            .Append('\n')
            .Append("[Service]\n")
            .Append("Environment=PODMAN_SYSTEMD_UNIT=%n\n")
            .Append("Restart=always\n")
            .Append("TimeoutStopSec=70\n")
            .Append("ExecStartPre=/bin/rm -f %t/%n.ctr-id\n")
            .Append("ExecStart=/usr/bin/podman run --cidfile=%t/%n.ctr-id ").Append(CgroupsFlag)
            .Append(" --rm --sdnotify=conmon -d --replace --name ").Append(Quote(name));
        foreach (var argument in runArguments)
        {
            unit.Append(" \\\n\t").Append(Quote(argument));
        }

        return unit.Append('\n')
            .Append("ExecStop=/usr/bin/podman stop --ignore -t 10 --cidfile=%t/%n.ctr-id\n")
            .Append("Type=notify\n")
            .Append("NotifyAccess=all\n")
            .Append('\n')
            .Append("[Install]\n")
            .Append("WantedBy=default.target\n")
            .ToString();
    }

    /// <summary>
    /// One command-line word as systemd reads it (systemd.service, "Command lines"): as it is when
    /// it has nothing systemd would interpret, else in double quotes with C escapes; % and $ are
    /// doubled everywhere, because systemd expands specifiers and variables inside quotes too.
    /// </summary>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        var plain = word.Length > 0 && word.All(c => c > ' ' && c < 0x7f && c is not ('"' or '\'' or '\\' or ';'));
        var quoted = new StringBuilder(word.Length + 2);
        if (!plain)
        {
            quoted.Append('"');
        }

        foreach (var c in word)
        {
            quoted.Append(c switch
            {
                '%' => "%%",
                '$' => "$$",
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ when c < ' ' || c == 0x7f => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }

        return (plain ? quoted : quoted.Append('"')).ToString();
    }
}
