using System.Diagnostics;
using System.Text.RegularExpressions;
using DevOpsTools.Engine.Hardening;

namespace DevOpsTools.Engine.Tests.Hardening;

/// <summary>The catalogue's metadata and its shell resources agree, and the shell runs as written.</summary>
public class HardeningScriptResourceTests
{
    private static readonly Regex RuleFunction = new(@"(?m)^([a-z]+_[0-9]{3}_(?:check|fix))\(\) \{$", RegexOptions.CultureInvariant);

    [Fact]
    public void Every_rule_has_its_check_and_fix_functions_in_its_category_resource()
    {
        Assert.All(HardeningCatalog.All, r =>
        {
            var text = HardeningScripts.Read(r.ScriptResource);
            Assert.Contains($"\n{r.CheckFunction}() {{\n", text, StringComparison.Ordinal);
            var fix = r.Id.ToLowerInvariant().Replace('-', '_') + "_fix";
            Assert.Equal(r.HasFix, text.Contains($"\n{fix}() {{\n", StringComparison.Ordinal));
            Assert.Equal(r.HasFix ? fix : null, r.FixFunction);
        });
    }

    [Fact]
    public void Every_rule_function_in_the_resources_belongs_to_a_rule_of_that_category()
    {
        var expected = HardeningCatalog.All
            .SelectMany(r => new[] { (r.ScriptResource, r.CheckFunction), (r.ScriptResource, r.FixFunction) })
            .Where(x => x.Item2 is not null)
            .ToHashSet();
        foreach (var resource in HardeningCatalog.Categories.Select(HardeningScripts.ResourceFor))
        {
            foreach (Match m in RuleFunction.Matches(HardeningScripts.Read(resource)))
            {
                Assert.Contains((resource, (string?)m.Groups[1].Value), expected);
            }
        }
    }

    [Fact]
    public void The_library_is_embedded_with_the_plan_switch_the_builder_replaces()
    {
        Assert.Contains("DT_PLAN=${DT_PLAN:-0}", HardeningScripts.Library, StringComparison.Ordinal);
        Assert.StartsWith("#!/bin/sh\n", HardeningScripts.Library, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("30", "60", "FAIL")] // the CIS maximum is 60, but the profile asked for 30
    [InlineData("30", "30", "PASS")]
    [InlineData("45", "40", "PASS")]
    [InlineData("30", "0", "FAIL")]  // 0 means no limit
    public void SSH_006_checks_against_its_loginGraceTime_parameter(string parameter, string effective, string expected)
    {
        // The real library and ssh.sh, run by sh, with sshd -T's output given.
        var script = HardeningScripts.Library + HardeningScripts.Read("ssh.sh")
            + $"DT_SSHD_T='logingracetime {effective}'; DT_RULE=SSH-006; P_loginGraceTime='{parameter}'; ssh_006_check\n";
        var output = LocalSh.Run(script);
        Assert.Matches($"(?m)^@@RULE SSH-006 {expected} ", output);
    }

}
