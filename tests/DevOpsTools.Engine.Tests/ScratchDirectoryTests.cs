namespace DevOpsTools.Engine.Tests;

/// <summary>The guarded delete refuses what a test did not claim, and never follows a link out.</summary>
public sealed class ScratchDirectoryTests
{
    [Fact]
    public void A_claimed_directory_is_deleted_with_its_contents_but_a_link_inside_is_not_followed()
    {
        using var outside = ScratchDirectory.Create("dot-scratch-outside");
        var keep = Path.Combine(outside.Path, "keep.txt");
        File.WriteAllText(keep, "must survive");

        var scratch = ScratchDirectory.Create("dot-scratch");
        File.WriteAllText(Path.Combine(scratch.Path, "a.txt"), "x");
        Directory.CreateSymbolicLink(Path.Combine(scratch.Path, "link"), outside.Path);
        scratch.Dispose();

        Assert.False(Directory.Exists(scratch.Path));
        Assert.Equal("must survive", File.ReadAllText(keep));
    }

    [Fact]
    public void Paths_not_claimed_are_refused()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.Throws<InvalidOperationException>(() => ScratchDirectory.Delete(home));
        Assert.Throws<InvalidOperationException>(() => ScratchDirectory.Delete(Path.GetTempPath()));
        Assert.Throws<InvalidOperationException>(() => ScratchDirectory.Delete(Path.Combine(Path.GetTempPath(), "dot-never-claimed")));
        Assert.True(Directory.Exists(home));
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("../root")]
    public void Names_that_are_not_one_plain_directory_are_refused(string name)
    {
        Assert.Throws<ArgumentException>(() => ScratchDirectory.Claim(name));
    }
}
