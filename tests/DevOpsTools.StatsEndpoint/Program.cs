using DevOpsTools.StatsEndpoint;

// Usage: DevOpsTools.StatsEndpoint [--port N]; prints "listening <base url>" once it accepts
// connections, and runs until stdin closes or the process is stopped.
var port = args.Length == 2 && args[0] == "--port" ? int.Parse(args[1]) : 0;
var (app, url) = await StatsEndpointServer.StartAsync(port);
Console.WriteLine($"listening {url}");
await Task.Run(() => Console.In.ReadToEnd());
await app.StopAsync();
