# The scripts in examples/ are documentation that runs: keep them true to the code.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:Examples = Join-Path $env:DEVOPSTOOLS_REPO_ROOT 'examples'
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
}

Describe 'Example scripts' {
    It '<_> parses' -ForEach @(Get-ChildItem (Join-Path $env:DEVOPSTOOLS_REPO_ROOT 'examples') -Filter *.ps1 | ForEach-Object Name) {
        $errors = $null
        [System.Management.Automation.Language.Parser]::ParseFile((Join-Path $Examples $_), [ref]$null, [ref]$errors) | Out-Null
        $errors | Should -BeNullOrEmpty
    }
}

Describe 'Example environment files' {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        $script:Schema = Get-Content -Raw (Join-Path $env:DEVOPSTOOLS_REPO_ROOT 'src/DevOpsTools.Engine/Resources/devopstools-environment.schema.json')
        # YAML to JSON with a second, independent parser (PyYAML), so the shipped schema is checked
        # by Test-Json on the files as an editor's YAML language server reads them.
        function ConvertTo-JsonFromYaml([string] $Path) {
            python3 -c 'import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' $Path
            if ($LASTEXITCODE -ne 0) { throw "PyYAML could not read $Path" }
        }
    }

    It '<_> is valid for the module and for the shipped JSON schema' -ForEach @(Get-ChildItem (Join-Path $env:DEVOPSTOOLS_REPO_ROOT 'examples/environments') -Filter *.yaml | ForEach-Object Name) {
        $path = Join-Path $Examples "environments/$_"
        (Import-DevOpsEnvironment -Path $path -ErrorAction Stop).Name | Should -Be ([IO.Path]::GetFileNameWithoutExtension($_))
        Test-Json -Json (ConvertTo-JsonFromYaml $path) -Schema $Schema -ErrorAction SilentlyContinue | Should -BeTrue
    }

    It 'ships test, preprod and prod' {
        @(Get-ChildItem (Join-Path $Examples 'environments') -Filter *.yaml | ForEach-Object BaseName | Sort-Object) | Should -Be @('preprod', 'prod', 'test')
    }

    It 'the schema check catches a mistake' {
        $bad = Join-Path $TestDrive 'bad.yaml'
        (Get-Content -Raw (Join-Path $Examples 'environments/test.yaml')).Replace('    size: small', '    sise: small') | Set-Content $bad
        Test-Json -Json (ConvertTo-JsonFromYaml $bad) -Schema $Schema -ErrorAction SilentlyContinue | Should -BeFalse
    }
}

Describe 'examples/new-test-environment.ps1 (the main job)' -Tag 'Podman' {
    BeforeAll {
        $script:savedHome = $env:DEVOPSTOOLS_HOME
        $script:dataRoot = New-TestDataRoot
        $script:envName = 'example-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        # The shipped test environment, under a name of its own, with two servers.
        $yaml = (Get-Content -Raw (Join-Path $Examples 'environments/test.yaml')) -replace '(?m)^name: test$', "name: $envName" -replace '(?m)^    count: 2$', '    count: 1'
        $script:envFile = Join-Path $dataRoot 'env.yaml'
        New-Item -ItemType Directory -Force $dataRoot | Out-Null
        Set-Content -Path $envFile -Value $yaml
    }

    AfterAll {
        Remove-TestPodmanEnvironment -Environment $envName
        Remove-TestDataRoot -Path $dataRoot -Restore $savedHome
    }

    It 'creates, hardens and checks the environment, then removes it all with -Remove' {
        $output = & $Pwsh -NoProfile -Command "Import-Module '$($env:DEVOPSTOOLS_TEST_MODULE)'; & '$(Join-Path $Examples 'new-test-environment.ps1')' -Path '$envFile' -Remove" 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $output
        $output | Should -Match "Environment ${envName}: 2 servers on Podman"
        $output | Should -Match 'Baseline\s+Apply\s+100%'
        ([regex]::Matches($output, 'running Debian GNU/Linux 12')).Count | Should -Be 2
        @(& podman ps -a -q --filter "label=devopstools.environment=$envName").Count | Should -Be 0
        Test-Path (Join-Path $dataRoot "keys/$envName") | Should -BeFalse
    }
}
