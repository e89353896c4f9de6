using System.Text;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// Reads one output stream of a remote command as it arrives: keeps the exact text (for
/// <see cref="RemoteResult"/>) and hands every complete line (LF or CRLF, break removed) to a
/// callback; a last line without a break is handed over at the end of the stream.
/// </summary>
internal sealed class RemoteLineSplitter
{
    private readonly StringBuilder _all = new();
    private readonly StringBuilder _line = new();
    private readonly RemoteStream _stream;
    private readonly Action<RemoteOutputLine> _onLine;

    public RemoteLineSplitter(RemoteStream stream, Action<RemoteOutputLine> onLine)
    {
        _stream = stream;
        _onLine = onLine;
    }

    public string Text
    {
        get
        {
            lock (_all)
            {
                return _all.ToString();
            }
        }
    }

    public void Write(ReadOnlySpan<char> chars)
    {
        lock (_all)
        {
            _all.Append(chars);
        }

        foreach (var c in chars)
        {
            if (c == '\n')
            {
                EmitLine();
            }
            else
            {
                _line.Append(c);
            }
        }
    }

    public void Complete()
    {
        if (_line.Length > 0)
        {
            EmitLine();
        }
    }

    /// <summary>Reads a stream to its end (UTF-8), splitting as it goes.</summary>
    public async Task ReadToEndAsync(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            Write(buffer.AsSpan(0, read));
        }

        Complete();
    }

    /// <summary>The lines of a finished output, for shells that cannot stream.</summary>
    public static void Replay(string text, RemoteStream stream, Action<RemoteOutputLine> onLine)
    {
        var splitter = new RemoteLineSplitter(stream, onLine);
        splitter.Write(text);
        splitter.Complete();
    }

    private void EmitLine()
    {
        var length = _line.Length > 0 && _line[^1] == '\r' ? _line.Length - 1 : _line.Length;
        var text = _line.ToString(0, length);
        _line.Clear();
        _onLine(new RemoteOutputLine(_stream, text));
    }
}
