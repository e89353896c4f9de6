# Import-DevOpsEnvironment end to end: valid files, and bad ones that must change nothing.
BeforeAll {
    Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
    $script:Examples = Join-Path $env:DEVOPSTOOLS_REPO_ROOT 'examples/environments'
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:Work = New-TestTempDirectory -Prefix 'dot-env'
    function New-EnvFile([string] $name, [string] $content) {
        $path = Join-Path $Work $name
        Set-Content -Path $path -Value $content -NoNewline
        $path
    }
}

AfterAll {
    Remove-TestTempDirectory $Work
}

Describe 'Import-DevOpsEnvironment' {
    It 'reads every shipped example environment' {
        $envs = Get-ChildItem $Examples -Filter *.yaml | Import-DevOpsEnvironment
        $envs.Name | Should -Contain 'test'
        $envs | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'DevOpsTools.EnvironmentDefinition' }
    }

    It 'expands server groups into specs whose properties bind to New-Server' {
        $env = Import-DevOpsEnvironment (Join-Path $Examples 'test.yaml')
        $env.Servers.Count | Should -BeGreaterThan 1
        $spec = $env.Servers[0]
        $spec.Environment | Should -Be 'test'
        $spec.PSObject.Properties.Name | Should -Contain 'Name'
        $spec.PSObject.Properties.Name | Should -Contain 'Size'
    }

    It 'carries the data section: services with engine, placement, storage, users, databases and retention' {
        $data = (Import-DevOpsEnvironment (Join-Path $Examples 'test.yaml')).Data
        $data | Should -HaveCount 1
        $data[0].Name | Should -Be 'main'
        "$($data[0].Engine)" | Should -Be 'Postgresql'
        $data[0].Container | Should -BeTrue
        $data[0].Port | Should -Be 15432
        $data[0].Environment | Should -Be 'test'
        $data[0].StorageBytes | Should -Be (10GB)
        $data[0].Databases[0].Owner | Should -Be 'shop'
        $data[0].Backup.Keep | Should -Be 7
    }

    It 'reports an unknown engine and a bad storage size with file, line, column and field' {
        $file = New-EnvFile 'data.yaml' "name: test`ndata:`n  - name: main`n    engine: mysql`n    container: true`n    storage: lots`n"
        Import-DevOpsEnvironment $file -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs | Should -HaveCount 2
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'YamlWrongType,*'
        "$($errs[0])" | Should -BeLike "${file}:4:13: `$.data[[]0].engine: expected one of postgresql, found 'mysql'."
        $errs[1].FullyQualifiedErrorId | Should -BeLike 'YamlInvalidValue,*'
        "$($errs[1])" | Should -BeLike "${file}:6:14: `$.data[[]0].storage: 'lots' is not valid: Storage size*"
    }

    It 'filters environments by -Name with wildcards' {
        $file = New-EnvFile 'all.yaml' "name: test`n---`nname: preprod`n---`nname: prod`n"
        (Import-DevOpsEnvironment $file -Name 'pre*').Name | Should -Be 'preprod'
        (Import-DevOpsEnvironment $file).Count | Should -Be 3
    }

    It 'reports an unknown key with file, line, column, field and a suggestion, and returns nothing' {
        $file = New-EnvFile 'typo.yaml' "name: test`nservers:`n  - name: web`n    szie: small`n"
        $result = Import-DevOpsEnvironment $file -ErrorVariable errs -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'YamlUnknownKey,*'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidData'
        "$($errs[0])" | Should -BeLike "${file}:4:5: `$.servers[[]0].szie: unknown key 'szie'; did you mean 'size'?"
    }

    It 'reports a wrong type' {
        $file = New-EnvFile 'type.yaml' "name: test`nservers:`n  - name: web`n    count: many`n"
        Import-DevOpsEnvironment $file -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'YamlWrongType,*'
        "$($errs[0])" | Should -BeLike "*type.yaml:4:12:*count*expected a whole number, found 'many'*"
    }

    It 'reports bad YAML with its position' {
        $file = New-EnvFile 'bad.yaml' "name: test`nservers: [`n  - name: web`n"
        Import-DevOpsEnvironment $file -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'YamlSyntaxError,*'
        "$($errs[0])" | Should -Match 'bad\.yaml:\d+:\d+: \$: invalid YAML'
    }

    It 'reports every problem of a file as its own error record' {
        $file = New-EnvFile 'many.yaml' "name: Bad_Name`nprovider:`n  type: openstack`nservers:`n  - name: web`n    count: 0`n"
        Import-DevOpsEnvironment $file -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs | Should -HaveCount 3
        $errs.FullyQualifiedErrorId | ForEach-Object { $_ -split ',' | Select-Object -First 1 } | Sort-Object |
            Should -Be @('YamlInvalidValue', 'YamlInvalidValue', 'YamlWrongType')
    }

    It 'reads a file whose name holds wildcard characters through -LiteralPath, and from Get-ChildItem' {
        $file = Join-Path $Work 'web[1].yaml'
        Set-Content -LiteralPath $file -Value "name: literal`n" -NoNewline
        (Import-DevOpsEnvironment -LiteralPath $file).Name | Should -Be 'literal'
        (Get-Item -LiteralPath $file | Import-DevOpsEnvironment).Name | Should -Be 'literal'
        # As a pattern, web[1].yaml means web1.yaml, which does not exist: nothing is read.
        Import-DevOpsEnvironment -Path $file -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'says which file is missing' {
        Import-DevOpsEnvironment (Join-Path $Work 'nope.yaml') -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'FileNotFound,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        "$($errs[0])" | Should -BeLike '*nope.yaml*'
    }

    It 'stops a script under -ErrorAction Stop' {
        $file = New-EnvFile 'stop.yaml' "nmae: test`n"
        { Import-DevOpsEnvironment $file -ErrorAction Stop } | Should -Throw -ErrorId 'YamlUnknownKey,*'
    }
}
