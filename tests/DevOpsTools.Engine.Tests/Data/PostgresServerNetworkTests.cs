using System.Net;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data;

namespace DevOpsTools.Engine.Tests.Data;

/// <summary>PostgreSQL on a server: the addresses it listens on and the pg_hba.conf it gets.</summary>
public class PostgresServerNetworkTests
{
    private const string IpAddr = """
        2: eth0    inet 10.89.0.5/24 brd 10.89.0.255 scope global eth0\       valid_lft forever preferred_lft forever
        3: eth1    inet 172.31.4.10/20 brd 172.31.15.255 scope global eth1\       valid_lft forever preferred_lft forever
        2: eth0    inet6 fd00:1::5/64 scope global \       valid_lft forever preferred_lft forever
        garbage line
        4: eth2    inet 10.1.2.3 scope global
        """;

    private static IReadOnlyList<InterfaceAddress> Own => PostgresServerNetwork.ParseIpAddr(IpAddr);

    [Fact]
    public void Ip_addr_output_gives_the_global_addresses_with_prefixes_in_order()
    {
        Assert.Equal(["10.89.0.5/24", "172.31.4.10/20", "fd00:1::5/64"], Own.Select(a => $"{a.Address}/{a.PrefixLength}"));
    }

    [Fact]
    public void It_listens_on_the_address_on_the_app_servers_subnet_and_loopback_only()
    {
        var listen = PostgresServerNetwork.ListenAddresses(Own, PostgresServerNetwork.Clients(["10.89.0.7", "10.89.0.8"]));

        Assert.Equal(["10.89.0.5", "127.0.0.1"], listen.Select(a => a.ToString()));
    }

    [Fact]
    public void A_routed_client_is_served_on_the_primary_address_and_each_family_on_its_own()
    {
        var listen = PostgresServerNetwork.ListenAddresses(Own, PostgresServerNetwork.Clients(["192.168.7.1", "172.31.5.1", "fd00:1::9"]));

        Assert.Equal(["10.89.0.5", "172.31.4.10", "fd00:1::5", "127.0.0.1"], listen.Select(a => a.ToString()));
    }

    [Fact]
    public void No_clients_means_loopback_only()
    {
        Assert.Equal([IPAddress.Loopback], PostgresServerNetwork.ListenAddresses(Own, []));
    }

    [Fact]
    public void A_client_of_a_family_the_server_has_no_address_of_is_an_error()
    {
        var own = PostgresServerNetwork.ParseIpAddr("2: eth0 inet 10.89.0.5/24 scope global eth0");

        var error = Assert.Throws<DevOpsToolsException>(() => PostgresServerNetwork.ListenAddresses(own, PostgresServerNetwork.Clients(["fd00::7"])));
        Assert.Equal(ErrorIds.DataServiceFailed, error.ErrorId);
        Assert.Contains("10.89.0.5/24", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("255.255.255.255")]
    [InlineData("224.0.0.1")]
    [InlineData("ff02::1")]
    [InlineData("10.1")]
    [InlineData("010.0.0.1")]
    [InlineData("10.0.0.0/8")]
    [InlineData("10.0.0.1\nhost all all 0.0.0.0/0 trust")]
    [InlineData("db.example")]
    [InlineData("fe80::1%2")]
    public void Anything_but_one_unicast_address_is_refused_as_a_client(string client)
    {
        var error = Assert.Throws<DevOpsToolsException>(() => PostgresServerNetwork.Clients([client]));
        Assert.Equal(ErrorIds.InvalidParameter, error.ErrorId);
    }

    [Fact]
    public void Clients_are_sorted_and_deduplicated_so_the_files_are_stable()
    {
        var clients = PostgresServerNetwork.Clients(["10.89.0.8", "fd00::1", "10.89.0.10", "10.89.0.8", "FD00:0::1"]);

        Assert.Equal(["10.89.0.8", "10.89.0.10", "fd00::1"], clients.Select(a => a.ToString()));
    }

    [Fact]
    public void Pg_hba_admits_each_app_server_as_one_host_by_password_and_the_superuser_by_peer_only()
    {
        var hba = PostgresServerNetwork.RenderHba(PostgresServerNetwork.Clients(["10.89.0.7", "fd00:1::9", "127.0.0.1"]));
        var lines = hba.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToList();

        Assert.Equal(
            [
                "local all postgres peer",
                "local all all reject",
                "host all postgres 0.0.0.0/0 reject",
                "host all postgres ::/0 reject",
                "host all all 127.0.0.1/32 scram-sha-256",
                "host all all 10.89.0.7/32 scram-sha-256",
                "host all all fd00:1::9/128 scram-sha-256",
                "host all all 0.0.0.0/0 reject",
                "host all all ::/0 reject",
            ],
            lines);
        Assert.DoesNotContain(lines, l => l.Contains("/0 scram", StringComparison.Ordinal) || l.Contains("trust", StringComparison.Ordinal));
    }

    [Fact]
    public void The_config_snippet_names_the_addresses_and_port()
    {
        var conf = PostgresServerNetwork.RenderConfig([IPAddress.Parse("10.89.0.5"), IPAddress.Loopback], 5433);

        Assert.Contains("listen_addresses = '10.89.0.5,127.0.0.1'\n", conf, StringComparison.Ordinal);
        Assert.Contains("port = 5433\n", conf, StringComparison.Ordinal);
        Assert.Contains("password_encryption = scram-sha-256\n", conf, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => PostgresServerNetwork.RenderConfig([IPAddress.Loopback], 0));
    }

    [Fact]
    public void Subnet_membership_compares_the_prefix_bits_only()
    {
        var net = new InterfaceAddress(IPAddress.Parse("10.89.0.5"), 23);

        Assert.True(net.Contains(IPAddress.Parse("10.89.1.200")));
        Assert.False(net.Contains(IPAddress.Parse("10.89.2.1")));
        Assert.False(net.Contains(IPAddress.Parse("fd00::1")));
    }
}
