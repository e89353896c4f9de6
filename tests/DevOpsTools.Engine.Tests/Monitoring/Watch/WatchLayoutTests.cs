using DevOpsTools.Engine.Monitoring.Watch;

namespace DevOpsTools.Engine.Tests.Monitoring.Watch;

/// <summary>Watch-ServiceStats' screen: widths, truncation, colour on and off, number formats, tall lists.</summary>
public sealed class WatchLayoutTests
{
    private static readonly WatchHeading Heading = new(3, 10, TimeSpan.FromSeconds(2), new DateTimeOffset(2026, 12, 4, 1, 2, 3, TimeSpan.Zero));

    private static readonly WatchRow[] Rows =
    [
        new("checkout-api", ServiceStatus.Healthy, 1, 0, 12.34, 250.4, 48.2),
        new("payments-gateway-with-a-very-long-name-indeed.prod.internal", ServiceStatus.Degraded, 0.95, 0.05, 8.1, 1500, 12, Reason: "error rate 5.00 % is above 1.00 % (mostly HTTP 503)"),
        new("db:5432", ServiceStatus.Down, 0, 1, null, null, 3210, Reason: "all 10 requests failed (mostly connection refused)"),
        WatchRow.Pending("not-yet"),
    ];

    [Theory]
    [InlineData(80)]
    [InlineData(60)]
    [InlineData(30)]
    public void Every_line_fits_the_width_with_colour_on_or_off(int width)
    {
        foreach (var color in new[] { false, true })
        {
            var lines = WatchLayout.Lines(Heading, Rows, width, 0, color);
            Assert.All(lines, line => Assert.True(Ansi.Strip(line).Length <= width, $"'{Ansi.Strip(line)}' is wider than {width}"));
        }
    }

    [Fact]
    public void At_80_columns_the_table_has_a_title_a_header_a_row_per_service_and_the_reasons()
    {
        var lines = WatchLayout.Lines(Heading, Rows, 80, 0, color: false);

        Assert.Equal("Watch-ServiceStats  round 3/10  every 2s  01:02:03Z  Ctrl+C stops", lines[0]);
        Assert.Equal("SERVICE                         STATUS     AVAIL  ERRORS     P50     P99   REQ/S", lines[1]);
        Assert.Equal("checkout-api                    Healthy  100.00%   0.00%  12.3ms   250ms    48.2", lines[2]);
        Assert.Equal("payments-gateway-with-a-very-.. Degraded  95.00%   5.00%  8.10ms   1.50s    12.0", lines[3]);
        Assert.Equal("db:5432                         Down       0.00% 100.00%       -       -    3.2k", lines[4]);
        Assert.Equal("not-yet                         ...            -       -       -       -       -", lines[5]);
        Assert.Equal("payments-gateway-with-a-very-long-name-indeed.prod.internal: error rate 5.00 %..", lines[6]);
        Assert.Equal("db:5432: all 10 requests failed (mostly connection refused)", lines[7]);
        Assert.Equal(8, lines.Count);
        Assert.All(lines.Skip(1).Take(5), line => Assert.Equal(80, line.Length));
    }

    [Fact]
    public void Colour_wraps_only_the_status_green_yellow_red_and_strips_back_to_the_plain_table()
    {
        var plain = WatchLayout.Lines(Heading, Rows, 80, 0, color: false);
        var colored = WatchLayout.Lines(Heading, Rows, 80, 0, color: true);

        Assert.Equal(plain, colored.Select(Ansi.Strip));
        Assert.Contains(Ansi.Green + "Healthy" + Ansi.Reset, colored[2]);
        Assert.Contains(Ansi.Yellow + "Degraded" + Ansi.Reset, colored[3]);
        Assert.Contains(Ansi.Red + "Down" + Ansi.Reset, colored[4]);
        // Ordinal: a culture comparison ignores control characters and would find ESC anywhere.
        Assert.False(colored[5].Contains('\u001b'));
        Assert.All(plain, line => Assert.False(line.Contains('\u001b')));
    }

    [Fact]
    public void Replica_and_restart_columns_appear_only_when_a_row_has_them()
    {
        Assert.DoesNotContain("REPLICAS", WatchLayout.Lines(Heading, Rows, 80, 0, false)[1]);

        var withPlatform = Rows.Append(new WatchRow("orders", ServiceStatus.Healthy, 1, 0, 5, 9, 20, ReplicasReady: 2, ReplicasDesired: 3, Restarts: 12)).ToArray();
        var lines = WatchLayout.Lines(Heading, withPlatform, 80, 0, false);

        Assert.Equal("SERVICE       STATUS     AVAIL  ERRORS     P50     P99   REQ/S REPLICAS RESTARTS", lines[1]);
        Assert.EndsWith("     2/3       12", lines[6]);
        Assert.EndsWith("       -        -", lines[2]);
        Assert.StartsWith("payments-ga.. ", lines[3]);
        Assert.All(lines, line => Assert.True(line.Length <= 80));
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData(2, null, "2")]
    [InlineData(2, 3, "2/3")]
    [InlineData(null, 3, "-/3")]
    public void Replicas_read_ready_of_desired(int? ready, int? desired, string? expected) =>
        Assert.Equal(expected, new WatchRow("x", ReplicasReady: ready, ReplicasDesired: desired).Replicas);

    [Fact]
    public void A_list_taller_than_the_window_shows_what_fits_and_counts_the_rest()
    {
        var many = Enumerable.Range(1, 20).Select(i => new WatchRow($"svc-{i}", ServiceStatus.Healthy, 1, 0, 1, 2, 3)).ToArray();
        var lines = WatchLayout.Lines(Heading, many, 80, 8, false);

        Assert.Equal(8, lines.Count);
        Assert.StartsWith("svc-5 ", lines[6]);
        Assert.Equal("+15 more services: enlarge the terminal", lines[7]);
    }

    [Fact]
    public void Reasons_stop_at_the_window_height()
    {
        var lines = WatchLayout.Lines(Heading, Rows, 80, 7, false);
        Assert.Equal(7, lines.Count);
        Assert.StartsWith("payments-gateway", lines[6]);
    }

    [Theory]
    [InlineData(0.0, "0.00ms")]
    [InlineData(0.844, "0.84ms")]
    [InlineData(9.996, "10.0ms")]
    [InlineData(12.34, "12.3ms")]
    [InlineData(99.96, "100ms")]
    [InlineData(250.4, "250ms")]
    [InlineData(999.6, "1.00s")]
    [InlineData(1500, "1.50s")]
    [InlineData(12_345, "12.3s")]
    [InlineData(250_000, "250s")]
    public void Latencies_read_in_at_most_seven_characters(double ms, string expected)
    {
        Assert.Equal(expected, WatchLayout.Latency(ms));
        Assert.True(expected.Length <= WatchLayout.LatencyWidth);
    }

    [Theory]
    [InlineData(0.5, "0.50")]
    [InlineData(12.34, "12.3")]
    [InlineData(487.2, "487")]
    [InlineData(3210, "3.2k")]
    [InlineData(2_000_000, "2.0M")]
    public void Rates_read_short(double perSecond, string expected) => Assert.Equal(expected, WatchLayout.Rate(perSecond));

    [Fact]
    public void Unknown_figures_are_a_dash_and_percentages_have_two_decimals()
    {
        Assert.Equal("-", WatchLayout.Latency(null));
        Assert.Equal("-", WatchLayout.Latency(double.NaN));
        Assert.Equal("-", WatchLayout.Rate(null));
        Assert.Equal("-", WatchLayout.Percent(null));
        Assert.Equal("99.95%", WatchLayout.Percent(0.9995));
        Assert.Equal("100.00%", WatchLayout.Percent(1));
        Assert.Equal("0.00%", WatchLayout.Percent(0));
    }

    [Theory]
    [InlineData("short", 10, "short")]
    [InlineData("exactly-10", 10, "exactly-10")]
    [InlineData("one-too-long", 11, "one-too-l..")]
    [InlineData("abc", 2, "ab")]
    public void Fit_cuts_with_two_dots(string text, int width, string expected) => Assert.Equal(expected, WatchLayout.Fit(text, width));

    [Fact]
    public void A_frame_is_one_string_that_homes_erases_each_line_and_the_rest_and_never_scrolls()
    {
        var frame = Ansi.Frame(["a", "b"]);
        Assert.Equal("\u001b[Ha\u001b[K\r\nb\u001b[K\u001b[J", frame);
        Assert.False(frame.EndsWith('\n'));
    }

    [Fact]
    public void Leaving_the_screen_resets_attributes_shows_the_cursor_and_leaves_the_alternate_screen()
    {
        Assert.StartsWith(Ansi.Reset, Ansi.LeaveScreen);
        Assert.Contains("\u001b[?25h", Ansi.LeaveScreen);
        Assert.EndsWith("\u001b[?1049l", Ansi.LeaveScreen);
        Assert.StartsWith("\u001b[?1049h", Ansi.EnterScreen);
        Assert.Contains("\u001b[?25l", Ansi.EnterScreen);
    }

    [Theory]
    [InlineData(false, false, "xterm-256color", WatchDisplay.Screen)]
    [InlineData(false, true, "xterm-256color", WatchDisplay.Plain)]
    [InlineData(false, false, "dumb", WatchDisplay.Plain)]
    [InlineData(false, false, null, WatchDisplay.Screen)]
    [InlineData(true, false, "xterm-256color", WatchDisplay.None)]
    [InlineData(true, true, null, WatchDisplay.None)]
    public void The_display_follows_PassThru_redirection_and_TERM(bool passThru, bool redirected, string? term, WatchDisplay expected) =>
        Assert.Equal(expected, ServiceWatch.ChooseDisplay(passThru, redirected, term));

    [Theory]
    [InlineData(WatchDisplay.Screen, null, true)]
    [InlineData(WatchDisplay.Screen, "", true)]
    [InlineData(WatchDisplay.Screen, "1", false)]
    [InlineData(WatchDisplay.Plain, null, false)]
    [InlineData(WatchDisplay.None, null, false)]
    public void Colour_is_off_when_redirected_or_NO_COLOR_is_set(WatchDisplay display, string? noColor, bool expected) =>
        Assert.Equal(expected, ServiceWatch.UseColor(display, noColor));
}
