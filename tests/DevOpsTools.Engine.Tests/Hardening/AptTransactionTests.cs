using System.Text.RegularExpressions;
using DevOpsTools.Engine.Hardening;

namespace DevOpsTools.Engine.Tests.Hardening;

/// <summary>
/// The fix script's apt work, run by this machine's sh with the real library.sh: apt-get and
/// dpkg are replaced by a recorder (run, installed, apt_candidates), everything else is real.
/// </summary>
public class AptTransactionTests
{
    private static readonly Server Server = new() { Name = "web-1", Environment = "t-speed", Provider = "Podman", User = "ops" };

    // Records each run command; an apt-get install marks its packages installed.
    private const string Recorder = """
        DT_APT_LISTS="$DT_TMP/lists"; mkdir -p "$DT_APT_LISTS"
        : > "$DT_TMP/state"; : > "$DT_TMP/ran"
        installed() { grep -qx "$1" "$DT_TMP/state"; }
        apt_candidates() { echo "${DT_TEST_CANDIDATES:-$#}"; }
        run() { echo "$*" >> "$DT_TMP/ran"; case "$*" in *"apt-get install"*) for a in "$@"; do echo "$a"; done >> "$DT_TMP/state" ;; esac; }

        """;

    private static List<ResolvedRule> Baseline()
    {
        var profile = HardeningProfile.BuiltIn("Baseline");
        return profile.Rules.Select(r => new ResolvedRule(r, profile.ValuesFor(r, Server))).ToList();
    }

    private static string[] RunApt(string setup)
    {
        var rules = Baseline();
        var script = HardeningScripts.Library + Recorder + setup
            + ScriptBuilder.PreinstallCall(rules) + "\n"
            // Then every fix's own apt_install of its packages, as each fix does when run alone.
            + string.Concat(rules.Where(r => r.Rule.Packages.Count > 0).Select(r => "apt_install " + string.Join(' ', r.Rule.Packages) + "\n"))
            + "cat \"$DT_TMP/ran\"\n";
        return LocalSh.Run(script).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void A_fresh_server_gets_one_apt_get_install_of_every_package_the_fixes_need()
    {
        var ran = RunApt("");

        var install = Assert.Single(ran, l => l.Contains("apt-get install", StringComparison.Ordinal));
        Assert.Single(ran, l => l.StartsWith("apt-get update", StringComparison.Ordinal));
        var packages = ScriptBuilder.Packages(Baseline());
        Assert.True(packages.Count >= 5, "Baseline installs several packages");
        Assert.All(packages, p => Assert.Matches($" {Regex.Escape(p)}( |$)", install));
    }

    [Fact]
    public void Fresh_lists_that_know_every_package_skip_apt_get_update()
    {
        var ran = RunApt("touch \"$DT_APT_LISTS/deb.debian.org_debian_dists_trixie_main_binary-amd64_Packages\"\n");

        Assert.DoesNotContain(ran, l => l.Contains("apt-get update", StringComparison.Ordinal));
        Assert.Single(ran, l => l.Contains("apt-get install", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("touch -d '5 hours ago' \"$DT_APT_LISTS/x_Packages\"\n")]
    [InlineData("touch \"$DT_APT_LISTS/x_Packages\"; DT_TEST_CANDIDATES=1\n")]
    public void Old_lists_or_a_package_without_candidate_run_apt_get_update_first(string setup)
    {
        var ran = RunApt(setup);

        Assert.Equal("apt-get update -qq", ran[0]);
        Assert.Single(ran, l => l.Contains("apt-get install", StringComparison.Ordinal));
    }
}
