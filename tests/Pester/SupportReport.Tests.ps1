#Requires -Modules Pester
# New-SupportReport on a real environment: a Podman server hardened by Test-Hardening, the
# hello sample app deployed on this machine and a broken release of it rolled back, a module
# error in the journal, and secrets planted where people put them by mistake (the environment
# file, a generated password in the module data). The report must tell all of that, and no
# secret, address or host name may reach the file.

Describe 'New-SupportReport' -Tag 'Podman', 'Support' {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:savedHome = $env:DEVOPSTOOLS_HOME
        $script:dataRoot = New-TestDataRoot
        $script:work = New-TestTempDirectory -Prefix 'dtsup'
        $script:envName = 'dtsup' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:port = Get-TestFreePort
        $repo = Join-Path $PSScriptRoot '../..'

        # Secrets as they end up in real files: a token in an app's env, a database URL with its
        # password in the description, an AWS key in a tag, and a password the module generated.
        $script:token = 'tok_' + [guid]::NewGuid().ToString('N')
        $script:dbPassword = [guid]::NewGuid().ToString('N').Substring(0, 20)
        $script:awsKey = 'AKIA' + (-join ((1..16) | ForEach-Object { [char](Get-Random -Minimum 65 -Maximum 91) }))
        $script:generated = 'gen-' + [guid]::NewGuid().ToString('N')
        $secretDir = Join-Path $dataRoot "data/$envName/main"
        New-Item -ItemType Directory -Force $secretDir | Out-Null
        $passwordFile = Join-Path $secretDir 'shop.password'
        [IO.File]::WriteAllText($passwordFile, $generated)
        & chmod 0600 $passwordFile

        $script:definition = Join-Path $work "$envName.yaml"
        @"
apiVersion: devopstools/v1
name: $envName
description: Support report test; db at postgresql://shop:$dbPassword@10.77.1.2:5432/shop
provider:
  type: podman
servers:
  - name: web
apps:
  - name: hello
    image: localhost/devopstools-hello:1
    port: 8080
    healthPath: /healthz
    env:
      API_TOKEN: $token
      NOTE: $generated
tags:
  owner: ops
  cost-key: $awsKey
"@ | Set-Content $definition

        $script:server = New-Server -Name web -Environment $envName -ErrorAction Stop
        $script:hardening = $server | Test-Hardening -ErrorAction Stop

        & (Join-Path $repo 'examples/apps/hello/build.ps1')
        $script:spec = Join-Path $work 'hello.yaml'
        (Get-Content -Raw (Join-Path $repo 'examples/apps/hello/app.yaml')).Replace('    port: 8080', "    port: 8080`n    publicPort: $port") | Set-Content $spec
        Deploy-App -Path $spec -Environment $envName -TimeoutSec 120 -ErrorAction Stop | Out-Null
        Deploy-App -Path $spec -Environment $envName -Image localhost/devopstools-hello:broken -TimeoutSec 20 -ErrorAction SilentlyContinue | Out-Null
        Get-AppDeployment nothere -Environment $envName -ErrorAction SilentlyContinue

        $script:report = Join-Path $work 'report.md'
        $script:file = New-SupportReport -Definition $definition -Path $report -ProbeDuration ([timespan]::FromSeconds(2)) -ErrorAction Stop
        $script:text = Get-Content -Raw $report
    }

    AfterAll {
        Remove-App hello -Environment $envName -RemoveVolumes -Force -ErrorAction SilentlyContinue
        Get-Server -Environment $envName -ErrorAction SilentlyContinue | Remove-Server -Force -ErrorAction SilentlyContinue
        @(podman ps -a --format '{{.Names}}' | Where-Object { $_ -like "dot-$envName-*" }) | ForEach-Object { podman rm -f -- $_ *> $null }
        podman volume ls --format '{{.Name}}' | Where-Object { $_ -like "*$envName*" } | ForEach-Object { podman volume rm -f -- $_ *> $null }
        Remove-TestPodmanEnvironment -Environment $envName
        Remove-TestTempDirectory -Path $work
        Remove-TestDataRoot -Path $dataRoot -Restore $savedHome
    }

    It 'writes one private Markdown file and returns it' {
        $file | Should -BeOfType System.IO.FileInfo
        $file.FullName | Should -Be $report
        (& stat -c '%a' $report) | Should -Be '600'
        $text | Should -Match "^# DevOpsTools support report: $envName"
    }

    It 'gives the versions and the environment file' {
        $text | Should -Match '\| DevOpsTools \| \d+\.\d+\.\d+'
        $text | Should -Match ('\| PowerShell \| ' + [regex]::Escape($PSVersionTable.PSVersion.ToString()))
        $text | Should -Match "name: $envName"
        $text | Should -Match '- name: hello'
    }

    It 'lists the server with its state and SSH port' {
        # Podman servers are reached on loopback, which is not redacted; other addresses are (below).
        $text | Should -Match ('\| web \| Podman \| Running \| ' + [regex]::Escape($server.Address) + ' \| ' + $server.SshPort + ' \|')
    }

    It 'shows the last hardening report with the rules that fail' {
        $expected = @($hardening.Rules | Where-Object Status -in 'NonCompliant', 'Failed' | ForEach-Object RuleId)
        $expected.Count | Should -BeGreaterThan 0 -Because 'a fresh server is not hardened'
        $text | Should -Match ('\*\*web\*\*: Test of profile \S+, score ' + [regex]::Escape(([double]$hardening.Score).ToString('0.#', [cultureinfo]::InvariantCulture)))
        foreach ($id in $expected) { $text | Should -Match "\| $id \| (NonCompliant|Failed) \|" }
    }

    It 'gives the deployment, its history with the rolled-back release and the app''s log tail' {
        $d = Get-AppDeployment hello -Environment $envName
        $text | Should -Match ('\| hello \| local \| ' + $d.Revision + ' \| ' + $d.Status)
        $text | Should -Match ([regex]::Escape($d.ImageDigest))
        $text | Should -Match '\| \d+ \| RolledBack \| [^|]+ \| sha256:[0-9a-f]{64} \| health check GET http://127\.0\.0\.1:\d+/healthz failed'
        $text | Should -Match 'Log tail \(last \d+ lines\):\s+```text\s+dot-'
    }

    It 'probes the deployed endpoint for the stats' {
        $text | Should -Match '\| hello \| Healthy \| 100%'
    }

    It 'lists the module''s recent errors with their ErrorIds' {
        $text | Should -Match '\| Get-AppDeployment \| AppNotFound \| ObjectNotFound \|'
    }

    It 'lets no planted secret, key or address reach the file' {
        foreach ($secret in $token, $dbPassword, $awsKey, $generated, '10.77.1.2') {
            $text | Should -Not -Match ([regex]::Escape($secret))
        }
        $text | Should -Match 'API_TOKEN: \[redacted\]'
        $text | Should -Match 'postgresql://shop:\[redacted\]@<ip-\d+>:5432'
        # The environment's SSH private key exists, and nothing of it is in the report.
        $key = Get-ChildItem -Recurse -File (Join-Path $dataRoot "keys/$envName") | Where-Object { (Get-Content -Raw $_) -match 'PRIVATE KEY' } | Select-Object -First 1
        $key | Should -Not -BeNullOrEmpty
        foreach ($line in (Get-Content $key | Where-Object { $_ -notmatch '-----' -and $_.Length -gt 20 })) {
            $text.Contains($line) | Should -BeFalse
        }
    }

    It 'keeps addresses with -NoRedact, and still no secret' {
        $kept = Join-Path $work 'kept.md'
        New-SupportReport -Definition $definition -Path $kept -NoProbe -NoRedact -ErrorAction Stop | Out-Null
        $keptText = Get-Content -Raw $kept
        $keptText | Should -Match 'postgresql://shop:\[redacted\]@10\.77\.1\.2:5432'
        $keptText | Should -Match 'No service was probed.'
        foreach ($secret in $token, $dbPassword, $awsKey, $generated) {
            $keptText | Should -Not -Match ([regex]::Escape($secret))
        }
    }

    It 'writes nothing with -WhatIf, and does not overwrite a report without -Force' {
        $whatIf = Join-Path $work 'whatif.md'
        New-SupportReport -Definition $definition -Path $whatIf -WhatIf | Should -BeNullOrEmpty
        Test-Path $whatIf | Should -BeFalse

        $before = (Get-Item $report).LastWriteTimeUtc
        $err = { New-SupportReport -Definition $definition -Path $report -NoProbe -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'SupportReportExists,*'
        (Get-Item $report).LastWriteTimeUtc | Should -Be $before
        New-SupportReport -Definition $definition -Path $report -NoProbe -Force -ErrorAction Stop | Should -Not -BeNullOrEmpty
    }

    It 'stops on an environment file with an error, naming file, line and field, and writes nothing' {
        $bad = Join-Path $work 'bad.yaml'
        "apiVersion: devopstools/v1`nname: $envName`nservers:`n  - name: web`n    sise: small`n" | Set-Content $bad
        $out = Join-Path $work 'bad.md'
        $err = { New-SupportReport -Definition $bad -Path $out -NoProbe -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'YamlUnknownKey,*'
        $err.Exception.Message | Should -BeLike '*bad.yaml:5:5*sise*'
        Test-Path $out | Should -BeFalse
    }
}
