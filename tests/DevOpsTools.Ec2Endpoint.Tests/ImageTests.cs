using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;

namespace DevOpsTools.Ec2Endpoint.Tests;

public class ImageTests
{
    [Fact]
    public async Task Debian_amd64_images_are_found_by_owner_and_name_wildcard_and_the_newest_is_identifiable()
    {
        await using var h = await Harness.StartAsync();
        var response = await h.Client.DescribeImagesAsync(new DescribeImagesRequest
        {
            Owners = [Fixtures.DebianOwner],
            Filters = [new Filter("name", ["debian-12-amd64-*"]), new Filter("architecture", ["x86_64"])],
        });

        Assert.True(response.Images.Count >= 3);
        Assert.All(response.Images, i =>
        {
            Assert.StartsWith("debian-12-amd64-", i.Name, StringComparison.Ordinal);
            Assert.Equal(ArchitectureValues.X86_64, i.Architecture);
            Assert.Equal(Fixtures.DebianOwner, i.OwnerId);
            Assert.Matches("^ami-[0-9a-f]{17}$", i.ImageId);
            Assert.Equal(ImageState.Available, i.State);
            Assert.Equal("/dev/xvda", i.RootDeviceName);
            Assert.Equal(DeviceType.Ebs, i.RootDeviceType);
        });
        Assert.Equal(response.Images.Count, response.Images.Select(i => i.CreationDate).Distinct().Count());

        var newest = response.Images.OrderByDescending(i => DateTime.Parse(i.CreationDate, System.Globalization.CultureInfo.InvariantCulture)).First();
        Assert.Equal("debian-12-amd64-20250428-2096", newest.Name);
    }

    [Fact]
    public async Task Arm64_filter_returns_only_arm64_images()
    {
        await using var h = await Harness.StartAsync();
        var response = await h.Client.DescribeImagesAsync(new DescribeImagesRequest
        {
            Owners = [Fixtures.DebianOwner],
            Filters = [new Filter("architecture", ["arm64"])],
        });
        Assert.NotEmpty(response.Images);
        Assert.All(response.Images, i =>
        {
            Assert.Equal(ArchitectureValues.Arm64, i.Architecture);
            Assert.Contains("-arm64-", i.Name, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Owners_select_the_publisher()
    {
        await using var h = await Harness.StartAsync();
        var ubuntu = await h.Client.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["099720109477"] });
        var image = Assert.Single(ubuntu.Images);
        Assert.Contains("ubuntu", image.Name, StringComparison.Ordinal);

        var mine = await h.Client.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] });
        Assert.Empty(mine.Images ?? []);

        var debian = await h.Client.DescribeImagesAsync(new DescribeImagesRequest { Owners = [Fixtures.DebianOwner] });
        Assert.DoesNotContain(debian.Images, i => i.Name.Contains("ubuntu", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Name_wildcards_with_question_marks_and_state_filters_work()
    {
        await using var h = await Harness.StartAsync();
        var response = await h.Client.DescribeImagesAsync(new DescribeImagesRequest
        {
            Filters = [new Filter("name", ["debian-1?-amd64-2025????-*"]), new Filter("state", ["available"])],
        });
        Assert.Contains(response.Images, i => i.Name.StartsWith("debian-11-", StringComparison.Ordinal));
        Assert.Contains(response.Images, i => i.Name.StartsWith("debian-12-", StringComparison.Ordinal));

        var none = await h.Client.DescribeImagesAsync(new DescribeImagesRequest { Filters = [new Filter("state", ["pending"])] });
        Assert.Empty(none.Images ?? []);
    }

    [Fact]
    public async Task ImageIds_resolve_and_unknown_ones_fail_with_InvalidAMIID_NotFound()
    {
        await using var h = await Harness.StartAsync();
        var id = await Fixtures.NewestDebianAsync(h.Client);
        var one = await h.Client.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [id] });
        Assert.Equal(id, Assert.Single(one.Images).ImageId);

        var ex = await Ec2Assert.FailsWith("InvalidAMIID.NotFound", () => h.Client.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = ["ami-0123456789abcdef0"] }));
        Assert.Contains("ami-0123456789abcdef0", ex.Message, StringComparison.Ordinal);
        await Ec2Assert.FailsWith("InvalidAMIID.Malformed", () => h.Client.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = ["debian"] }));
    }

    [Fact]
    public async Task Pagination_with_MaxResults_and_NextToken_visits_every_image_once()
    {
        await using var h = await Harness.StartAsync();
        var all = await h.Client.DescribeImagesAsync(new DescribeImagesRequest());
        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await h.Client.DescribeImagesAsync(new DescribeImagesRequest { MaxResults = 3, NextToken = token });
            Assert.True(page.Images.Count <= 3);
            seen.AddRange(page.Images.Select(i => i.ImageId));
            token = page.NextToken;
        }
        while (token is not null);

        Assert.Equal(all.Images.Select(i => i.ImageId), seen);
    }

    [Fact]
    public async Task Images_can_be_added_through_the_test_hook()
    {
        await using var h = await Harness.StartAsync();
        var (status, body) = await RawHttp.SendAsync(HttpMethod.Post, new Uri(h.Endpoint.BaseUri, "_test/images"),
            """{"name":"custom-golden-2025","architecture":"arm64","creationDate":"2025-05-01T00:00:00Z"}""");
        Assert.Equal(200, status);
        var response = await h.Client.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] });
        var image = Assert.Single(response.Images);
        Assert.Equal("custom-golden-2025", image.Name);
        Assert.Contains(image.ImageId, body, StringComparison.Ordinal);
    }
}
