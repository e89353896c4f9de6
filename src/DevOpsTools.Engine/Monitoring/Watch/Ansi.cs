using System.Text;

namespace DevOpsTools.Engine.Monitoring.Watch;

/// <summary>
/// The few ECMA-48 / xterm control sequences Watch-ServiceStats writes: SGR attributes, the
/// alternate screen, cursor visibility and movement. Every terminal emulator in use (xterm,
/// VTE, tmux, Windows Terminal, conhost with VT on) understands them.
/// </summary>
public static class Ansi
{
    private const string Csi = "\u001b[";

    public const string Reset = Csi + "0m";
    public const string Bold = Csi + "1m";
    public const string Red = Csi + "31m";
    public const string Green = Csi + "32m";
    public const string Yellow = Csi + "33m";

    /// <summary>Switch to the alternate screen (the shell's screen is kept and comes back on leaving) and hide the cursor.</summary>
    public const string EnterScreen = Csi + "?1049h" + Csi + "?25l" + Csi + "H" + Csi + "2J";

    /// <summary>
    /// Undo everything EnterScreen and the frames did, in an order that is safe whichever part
    /// ran: attributes reset, cursor shown, alternate screen left (the shell's screen returns
    /// with its cursor where it was).
    /// </summary>
    public const string LeaveScreen = Reset + Csi + "?25h" + Csi + "?1049l";

    /// <summary>
    /// One whole frame in a single string, so a Ctrl+C between writes can never leave half a row:
    /// cursor home, each line with the rest of its old text erased, then everything below the
    /// last line erased (a row that went away). No newline after the last line, so a frame as
    /// tall as the window does not scroll it.
    /// </summary>
    public static string Frame(IReadOnlyList<string> lines)
    {
        var frame = new StringBuilder(Csi + "H");
        for (var i = 0; i < lines.Count; i++)
        {
            frame.Append(lines[i]).Append(Csi + "K");
            if (i < lines.Count - 1)
            {
                frame.Append("\r\n");
            }
        }

        return frame.Append(Csi + "J").ToString();
    }

    /// <summary><paramref name="text"/> without its control sequences: what a terminal shows of it.</summary>
    public static string Strip(string text) => System.Text.RegularExpressions.Regex.Replace(text, "\u001b\\[[0-9;?]*[A-Za-z]", string.Empty);
}
