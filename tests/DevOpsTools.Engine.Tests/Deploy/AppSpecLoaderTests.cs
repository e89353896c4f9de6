using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Deploy.Spec;
using DevOpsTools.Engine.Environments;
using DevOpsTools.Engine.Tests.Environments;

namespace DevOpsTools.Engine.Tests.Deploy;

public class AppSpecLoaderTests
{
    private const string Full = """
        apiVersion: devopstools/v1
        kind: App
        name: shop
        image: localhost/shop:1.4.2
        replicas: 2
        ports:
          - name: http
            port: 8080
            publicPort: 80
          - name: metrics
            port: 9100
            protocol: tcp
        env:
          LOG_LEVEL: info
        secrets:
          - name: DB_PASSWORD
            fromEnv: SHOP_DB_PASSWORD
          - name: API_KEY
            fromFile: secrets/api-key
          - name: TLS_KEY
            fromKubernetesSecret: {name: shop-tls, key: tls.key}
        configFiles:
          - path: /etc/shop/shop.conf
            content: "color = blue\n"
            mode: "0640"
        resources:
          cpu: 500m
          memory: 256Mi
        healthCheck:
          http: {path: /healthz, port: 8080}
          startPeriod: 10s
          interval: 500ms
          startInterval: 100ms
          timeout: 1s
          threshold: 5
        volumes:
          - name: data
            mountPath: /data
            size: 1Gi
        migration:
          command: [/app/migrate, --up]
          dataService: main
        servers: [web]
        hosts: [shop.example.com]
        environments:
          test:
            replicas: 1
            hosts: [shop.test.example.com]
          prod:
            replicas: 6
            image: localhost/shop@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
            resources:
              memory: 1Gi
        """;

    [Fact]
    public void A_full_spec_resolves_with_every_field_converted()
    {
        var spec = AppSpecLoader.Parse("/srv/app.yaml", Full);
        var app = AppSpecLoader.Resolve(spec, "preprod");

        Assert.Equal("shop", app.Name);
        Assert.Equal("preprod", app.Environment);
        Assert.Equal("localhost/shop:1.4.2", app.Image);
        Assert.Equal(2, app.Replicas);
        Assert.Equal([new AppPort("http", 8080, 80), new AppPort("metrics", 9100, 0, "tcp")], app.Ports);
        Assert.Equal("info", app.Variables["LOG_LEVEL"]);
        Assert.Equal("SHOP_DB_PASSWORD", app.Secrets[0].FromEnvironment);
        Assert.Equal("/srv/secrets/api-key", app.Secrets[1].FromFile);
        Assert.Equal("shop-tls/tls.key", app.Secrets[2].FromKubernetesSecret);
        Assert.Equal(new AppConfigFile("/etc/shop/shop.conf", "color = blue\n", "0640"), Assert.Single(app.ConfigFiles));
        Assert.Equal(new AppResources(0.5m, 256L * 1024 * 1024), app.Resources);
        var check = Assert.IsType<AppHealthCheck>(app.HealthCheck);
        Assert.Equal(("/healthz", 8080, 5), (check.HttpPath, check.Port, check.Threshold));
        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)), (check.StartPeriod, check.Interval, check.Timeout));
        Assert.Equal(TimeSpan.FromMilliseconds(100), check.StartInterval);
        // On a container host: checks every 0.1 s during the start period.
        Assert.Equal(100, DevOpsTools.Engine.Deploy.ContainerHost.ContainerHostLayout.SpecOf(app).StartIntervalMilliseconds);
        Assert.Equal(new AppVolume("data", "/data", 1L << 30), Assert.Single(app.Volumes));
        Assert.Equal(["/app/migrate", "--up"], app.MigrationCommand!);
        Assert.Equal("main", app.MigrationDataService);
        Assert.Equal(["web"], app.Servers);
        Assert.Equal(["shop.example.com"], app.HostNames);
        Assert.Equal("/srv/app.yaml:1:1", app.Source);
    }

    [Fact]
    public void Environment_overrides_apply_field_by_field_and_image_override_wins()
    {
        var spec = AppSpecLoader.Parse("app.yaml", Full);

        var test = AppSpecLoader.Resolve(spec, "test");
        Assert.Equal((1, "localhost/shop:1.4.2"), (test.Replicas, test.Image));
        Assert.Equal(["shop.test.example.com"], test.HostNames);

        var prod = AppSpecLoader.Resolve(spec, "prod");
        Assert.Equal(6, prod.Replicas);
        Assert.EndsWith("@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", prod.Image, StringComparison.Ordinal);
        Assert.Equal(new AppResources(0.5m, 1L << 30), prod.Resources); // cpu kept, memory overridden
        Assert.Equal(["shop.example.com"], prod.HostNames);

        var pinned = AppSpecLoader.Resolve(spec, "prod", "localhost/shop:2");
        Assert.Equal("localhost/shop:2", pinned.Image);

        var bad = Assert.Throws<DevOpsToolsException>(() => AppSpecLoader.Resolve(spec, "prod", "shop; reboot"));
        Assert.Equal(ErrorIds.InvalidParameter, bad.ErrorId);
    }

    [Fact]
    public void Shorthands_port_and_healthPath_become_the_long_form()
    {
        var spec = AppSpecLoader.Parse("a.yaml", "name: web\nimage: localhost/web:1\nport: 8080\nhealthPath: /healthz\n");
        var app = AppSpecLoader.Resolve(spec, "test");
        Assert.Equal([new AppPort("http", 8080)], app.Ports);
        Assert.Equal("/healthz", app.HealthCheck!.HttpPath);
        Assert.Equal(0, app.HealthCheck.Port);
    }

    [Fact]
    public void Field_errors_carry_file_line_column_and_path_and_all_are_reported()
    {
        const string yaml = """
            name: shop
            image: localhost/shop:1
            ports:
              - port: 70000
            env:
              1BAD: x
              BAD-NAME: y
            resources:
              cpu: lots
              memory: 256MB
            healthCheck:
              http: {path: /healthz}
              interval: 5 seconds
            volumes:
              - name: data
                mountPath: /data
                size: big
            replicaz: 2
            """;
        var error = Assert.Throws<DevOpsToolsAggregateException>(() => AppSpecLoader.Parse("app.yaml", yaml));
        var messages = error.Errors.Select(e => e.Message).ToList();
        Assert.Contains(messages, m => m.StartsWith("app.yaml:4:11: $.ports[0].port: 70000 is out of range", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("app.yaml:6:3: $.env.1BAD: key '1BAD' is not valid", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("app.yaml:7:3: $.env.BAD-NAME: key 'BAD-NAME' is not valid", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("app.yaml:9:8: $.resources.cpu: 'lots' is not valid: CPU limit in cores (0.5) or millicores (500m)", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("app.yaml:10:11: $.resources.memory: '256MB' is not valid", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("app.yaml:13:13: $.healthCheck.interval: '5 seconds' is not valid: Time between checks: a duration such as 2s", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("app.yaml:17:11: $.volumes[0].size: 'big' is not valid", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("app.yaml:18:1: $.replicaz: unknown key 'replicaz'; did you mean 'replicas'?", StringComparison.Ordinal));
        Assert.Equal(8, messages.Count);
    }

    [Fact]
    public void Cross_field_errors_name_the_item_and_are_all_reported()
    {
        const string yaml = """
            name: shop
            image: localhost/shop:1
            ports:
              - port: 8080
              - port: 8081
            secrets:
              - name: DB_PASSWORD
              - name: API_KEY
                fromEnv: SHOP_API_KEY
                fromFile: /run/keys/api
            resources:
              cpu: "0"
            healthCheck:
              http: {path: /healthz, port: 9999}
              command: [/bin/true]
              startInterval: 0s
            volumes:
              - name: data
                mountPath: /data
              - name: data
                mountPath: /data
            """;
        var error = Assert.Throws<DevOpsToolsAggregateException>(() => AppSpecLoader.Parse("app.yaml", yaml));
        Assert.Equal(ErrorIds.AppSpecInvalid, error.ErrorId);
        var messages = error.Errors.Select(e => e.Message).ToList();
        Assert.Contains(messages, m => m.StartsWith("app.yaml:5:5: $.ports[1].name: port name 'http' is used twice", StringComparison.Ordinal));
        Assert.Contains(messages, m => m == "app.yaml:7:5: $.secrets[0].from: secret 'DB_PASSWORD' needs exactly one source (fromEnv, fromFile or fromKubernetesSecret); found none.");
        Assert.Contains(messages, m => m == "app.yaml:8:5: $.secrets[1].from: secret 'API_KEY' needs exactly one source (fromEnv, fromFile or fromKubernetesSecret); found fromEnv and fromFile.");
        Assert.Contains(messages, m => m.StartsWith("app.yaml:12:3: $.resources.cpu: '0' is not a CPU amount above 0", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("app.yaml:14:3: $.healthCheck.http: a health check is either http", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("app.yaml:14:3: $.healthCheck.http.port: port 9999 is not one of the app's ports (8080, 8081)", StringComparison.Ordinal));
        Assert.Contains(messages, m => m == "app.yaml:14:3: $.healthCheck.startInterval: '0s' must be longer than 0.");
        Assert.Contains(messages, m => m.StartsWith("app.yaml:20:5: $.volumes[1].name: volume name 'data' is used twice", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("app.yaml:20:5: $.volumes[1].mountPath: mount path '/data' is used twice", StringComparison.Ordinal));
        Assert.Equal(9, messages.Count);
    }

    [Fact]
    public void Override_errors_point_into_the_environment_entry()
    {
        const string yaml = """
            name: shop
            image: localhost/shop:1
            environments:
              Prod:
                replicas: 2
              test:
                replicas: -1
                image: "shop; reboot"
                hosts: ["bad host"]
                resources:
                  memory: 0Mi
            """;
        var error = Assert.Throws<DevOpsToolsAggregateException>(() => AppSpecLoader.Parse("app.yaml", yaml));
        var messages = error.Errors.Select(e => e.Message).ToList();
        Assert.Contains(messages, m => m.StartsWith("app.yaml:4:3: $.environments.Prod: key 'Prod' is not valid", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("app.yaml:7:15: $.environments.test.replicas: -1 is out of range", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("app.yaml:8:12: $.environments.test.image: 'shop; reboot' is not valid", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("app.yaml:9:13: $.environments.test.hosts[0]: 'bad host' is not valid", StringComparison.Ordinal));
        Assert.Equal(4, messages.Count);

        var zero = Assert.Throws<DevOpsToolsException>(() => AppSpecLoader.Parse("app.yaml", "name: shop\nimage: localhost/shop:1\nenvironments:\n  prod:\n    resources:\n      memory: 0Mi\n"));
        Assert.StartsWith("app.yaml:6:7: $.environments.prod.resources.memory: '0Mi' is not a memory size above 0", zero.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Shorthand_and_long_form_together_are_refused()
    {
        var error = Assert.Throws<DevOpsToolsAggregateException>(() => AppSpecLoader.Parse("a.yaml",
            "name: web\nimage: localhost/web:1\nport: 8080\nports: [{port: 8080}]\nhealthPath: /h\nhealthCheck: {command: [/bin/true]}\n"));
        Assert.Contains(error.Errors, e => e.Message.StartsWith("a.yaml:1:1: $.port: use either port", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Message.StartsWith("a.yaml:1:1: $.healthPath: use either healthPath", StringComparison.Ordinal));
    }

    [Fact]
    public void The_apps_of_an_environment_file_use_the_same_model_and_rules()
    {
        const string yaml = """
            name: test
            apps:
              - name: shop
                image: localhost/shop:1
                port: 8080
                secrets:
                  - name: TOKEN
              - name: api
                image: localhost/api:1
                environments:
                  test: {replicas: 3}
            """;
        var error = Assert.Throws<DevOpsToolsException>(() => EnvironmentLoader.Load("env.yaml", yaml));
        Assert.StartsWith("env.yaml:7:9: $.apps[0].secrets[0].from: secret 'TOKEN' needs exactly one source", error.Message, StringComparison.Ordinal);

        var env = Assert.Single(EnvironmentLoader.Load("env.yaml", yaml.Replace("      - name: TOKEN\n", "      - name: TOKEN\n        fromEnv: TOKEN\n", StringComparison.Ordinal)));
        var api = AppSpecLoader.Resolve(AppSpecLoader.FromEnvironment(env, "api"), env.Name);
        Assert.Equal(3, api.Replicas);
        var missing = Assert.Throws<DevOpsToolsException>(() => AppSpecLoader.FromEnvironment(env, "web"));
        Assert.Equal(ErrorIds.AppNotFound, missing.ErrorId);
        Assert.Contains("its apps: shop, api", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Shipped_examples_are_valid()
    {
        var root = EnvironmentLoaderTests.RepoRoot();
        var hello = AppSpecLoader.Load(Path.Combine(root, "examples", "apps", "hello", "app.yaml"));
        var test = AppSpecLoader.Resolve(hello, "test");
        Assert.Equal(("hello", "localhost/devopstools-hello:1", 8080), (test.Name, test.Image, test.Ports[0].ContainerPort));
        Assert.Equal("/healthz", test.HealthCheck!.HttpPath);
        Assert.Equal("/data", Assert.Single(test.Volumes).MountPath);
        Assert.Equal(2, AppSpecLoader.Resolve(hello, "prod").Replicas);
        foreach (var file in Directory.GetFiles(Path.Combine(root, "examples", "environments"), "*.yaml"))
        {
            Assert.NotEmpty(EnvironmentLoader.LoadFile(file));
        }
    }

    [Fact]
    public void Missing_file_and_several_documents_are_refused()
    {
        Assert.Equal(ErrorIds.FileNotFound, Assert.Throws<DevOpsToolsException>(() => AppSpecLoader.Load("/nonexistent/app.yaml")).ErrorId);
        var error = Assert.Throws<DevOpsToolsException>(() => AppSpecLoader.Parse("a.yaml", "name: a\nimage: localhost/a:1\n---\nname: b\nimage: localhost/b:1\n"));
        Assert.Contains("holds 2 documents", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.5", 0.5)]
    [InlineData("2", 2)]
    [InlineData("250m", 0.25)]
    public void Cpu_amounts_parse(string text, double cores) => Assert.Equal((decimal)cores, Quantities.ParseCpu(text));

    [Theory]
    [InlineData("256Mi", 268435456L)]
    [InlineData("1Gi", 1073741824L)]
    [InlineData("1G", 1000000000L)]
    [InlineData("512", 512L)]
    public void Sizes_parse(string text, long bytes) => Assert.Equal(bytes, Quantities.ParseSize(text));

    [Fact]
    public void Bad_quantities_do_not_parse()
    {
        Assert.Null(Quantities.ParseSize("256MB"));
        Assert.Null(Quantities.ParseSize("999999999999999Ti"));
        Assert.Null(Quantities.ParseCpu("-1"));
        Assert.Null(Quantities.ParseDuration("5"));
        Assert.Equal(TimeSpan.FromMinutes(2), Quantities.ParseDuration("2m"));
    }
}
