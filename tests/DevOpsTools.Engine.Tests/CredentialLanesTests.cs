namespace DevOpsTools.Engine.Tests;

public class CredentialLanesTests
{
    [Fact]
    public void Lanes_come_from_the_one_lanes_file()
    {
        Assert.Equal(["RealAws", "RealCluster"], CredentialLanes.All.Select(l => l.Name));
        Assert.Equal("DEVOPSTOOLS_TEST_AWS", CredentialLanes.Get("RealAws").Variable);
        Assert.Equal("DEVOPSTOOLS_TEST_KUBECONFIG", CredentialLanes.Get("RealCluster").Variable);
        var error = Assert.Throws<ArgumentException>(() => CredentialLanes.Get("RealGcp"));
        Assert.Contains("RealAws, RealCluster", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lane_that_is_off_skips_with_the_reason_build_ps1_counts_as_a_lane_skip()
    {
        // RealCluster: no xunit test reads its variable, so changing it here races with nothing.
        var saved = Environment.GetEnvironmentVariable("DEVOPSTOOLS_TEST_KUBECONFIG");
        try
        {
            Environment.SetEnvironmentVariable("DEVOPSTOOLS_TEST_KUBECONFIG", null);
            var reason = CredentialLanes.SkipReason("RealCluster");
            Assert.NotNull(reason);
            Assert.StartsWith("[RealCluster] ", reason, StringComparison.Ordinal);
            Assert.Contains("DEVOPSTOOLS_TEST_KUBECONFIG", reason, StringComparison.Ordinal);
            Assert.Equal(reason, new CredentialLaneFactAttribute("RealCluster").Skip);

            Environment.SetEnvironmentVariable("DEVOPSTOOLS_TEST_KUBECONFIG", "0");
            Assert.NotNull(CredentialLanes.SkipReason("RealCluster"));

            Environment.SetEnvironmentVariable("DEVOPSTOOLS_TEST_KUBECONFIG", "/tmp/kubeconfig");
            Assert.Null(CredentialLanes.SkipReason("RealCluster"));
            Assert.Null(new CredentialLaneFactAttribute("RealCluster").Skip);
        }
        finally
        {
            Environment.SetEnvironmentVariable("DEVOPSTOOLS_TEST_KUBECONFIG", saved);
        }
    }
}
