using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers.Podman;

public sealed partial class PodmanServerProvider
{
    /// <summary>Free loopback ports for SSH, chosen by binding port 0; reserved within this process until podman has bound them.</summary>
    private static class FreePorts
    {
        private static readonly HashSet<int> Reserved = [];

        public static int Reserve()
        {
            for (var i = 0; i < 50; i++)
            {
                var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
                listener.Start();
                var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                lock (Reserved)
                {
                    if (Reserved.Add(port))
                    {
                        return port;
                    }
                }
            }

            throw new DevOpsToolsException(ErrorIds.ServerCreateFailed, ErrorKind.ResourceUnavailable, "No free port on 127.0.0.1 for SSH.", "127.0.0.1");
        }

        public static void Release(int port)
        {
            lock (Reserved)
            {
                Reserved.Remove(port);
            }
        }
    }
}
