# The module as a user installs and imports it: manifest, exported commands, architecture rules.
BeforeAll {
    $script:Manifest = $env:DEVOPSTOOLS_TEST_MODULE
    $script:ModuleDir = Split-Path -Parent $Manifest
    Import-Module $Manifest -Force
}

Describe 'Module manifest and layout' {
    It 'imports and exports the cmdlets that exist' {
        $module = Get-Module DevOpsTools
        $module | Should -Not -BeNullOrEmpty
        $exported = (Get-Command -Module DevOpsTools).Name | Sort-Object
        $declared = (Import-PowerShellDataFile $Manifest).CmdletsToExport | Sort-Object
        $exported | Should -Be $declared
    }

    It 'takes its version only from the manifest' {
        $data = Import-PowerShellDataFile $Manifest
        (Get-Module DevOpsTools).Version | Should -Be ([version]$data.ModuleVersion)
        Split-Path -Leaf $ModuleDir | Should -Be $data.ModuleVersion
        $data.PowerShellVersion | Should -Be '7.4'
        $data.CompatiblePSEditions | Should -Be @('Core')
    }

    It 'keeps the engine and third-party assemblies in Dependencies/' {
        Test-Path (Join-Path $ModuleDir 'DevOpsTools.dll') | Should -BeTrue
        Get-ChildItem $ModuleDir -Filter *.dll | ForEach-Object Name | Should -Be @('DevOpsTools.dll')
        foreach ($dll in 'DevOpsTools.Engine.dll', 'YamlDotNet.dll', 'Renci.SshNet.dll', 'AWSSDK.EC2.dll', 'AWSSDK.S3.dll') {
            Test-Path (Join-Path $ModuleDir "Dependencies/$dll") | Should -BeTrue -Because "$dll ships in Dependencies/"
        }
    }

    It 'ships the environment and app JSON schemas, formats and help' {
        foreach ($file in 'devopstools-environment.schema.json', 'devopstools-app.schema.json', 'DevOpsTools.Format.ps1xml', 'DevOpsTools.Types.ps1xml', 'en-US/DevOpsTools.dll-Help.xml') {
            Test-Path (Join-Path $ModuleDir $file) | Should -BeTrue -Because "$file is part of the module"
        }
        $schema = Get-Content -Raw (Join-Path $ModuleDir 'devopstools-environment.schema.json') | ConvertFrom-Json
        $schema.required | Should -Contain 'name'
        $app = Get-Content -Raw (Join-Path $ModuleDir 'devopstools-app.schema.json') | ConvertFrom-Json
        $app.required | Should -Be @('image', 'name')
    }

    It 'cmdlet assembly references no third-party assembly directly (they load in the private context)' {
        $bytes = [System.IO.File]::ReadAllBytes((Join-Path $ModuleDir 'DevOpsTools.dll'))
        $names = [System.Reflection.Assembly]::Load($bytes).GetReferencedAssemblies().Name
        $names | Should -Contain 'DevOpsTools.Engine'
        $names | Where-Object { $_ -match 'YamlDotNet|Renci|AWSSDK|KubernetesClient|BouncyCastle' } | Should -BeNullOrEmpty
    }

    It 'loads the engine into the private load context, not the default one' {
        Import-DevOpsEnvironment -Path (Join-Path $env:DEVOPSTOOLS_REPO_ROOT 'examples/environments/test.yaml') | Out-Null
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'DevOpsTools.Engine' }
        $engine | Should -HaveCount 1
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($engine).Name | Should -Be 'DevOpsTools'
        $yaml = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'YamlDotNet' -and [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name -eq 'DevOpsTools' }
        $yaml | Should -Not -BeNullOrEmpty
    }
}

Describe 'Every cmdlet follows the module conventions' {
    BeforeDiscovery {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        $script:Cmdlets = Get-Command -Module DevOpsTools -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } }
        # Verbs that only read (or run what the user asks, like Invoke) need no -WhatIf.
        $readOnly = 'Get', 'Test', 'Import', 'Invoke', 'Measure', 'Watch', 'Export', 'ConvertTo', 'ConvertFrom', 'Find', 'Resolve', 'Wait'
        $script:Changing = Get-Command -Module DevOpsTools -CommandType Cmdlet | Where-Object Verb -notin $readOnly | ForEach-Object { @{ Name = $_.Name } }
    }

    It '<Name> uses an approved verb' -ForEach $Cmdlets {
        (Get-Command $Name).Verb | Should -BeIn (Get-Verb).Verb
    }

    It '<Name> declares [OutputType]' -ForEach $Cmdlets {
        (Get-Command $Name).OutputType | Should -Not -BeNullOrEmpty
    }

    It '<Name> is a sealed class' -ForEach $Cmdlets {
        (Get-Command $Name).ImplementingType.IsSealed | Should -BeTrue
    }

    It '<Name> binds at least one parameter from the pipeline by property name' -ForEach $Cmdlets {
        $parameters = (Get-Command $Name).Parameters.Values
        $byName = $parameters | Where-Object { $_.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.ValueFromPipelineByPropertyName } }
        # An exporter takes the module's own objects whole, by value, as Export-Csv does.
        $wholeModuleObjects = $parameters | Where-Object {
            $_.ParameterType.GetElementType().FullName -like 'DevOpsTools.*' -and
            ($_.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.ValueFromPipeline })
        }
        $bound = @($byName | Where-Object { $_ }) + @($wholeModuleObjects | Where-Object { $_ -and $Name -like 'Export-*' })
        $bound.Count | Should -BeGreaterThan 0
    }

    It '<Name> changes state, so it supports -WhatIf and -Confirm' -ForEach $Changing {
        (Get-Command $Name).Parameters.Keys | Should -Contain 'WhatIf'
        (Get-Command $Name).Parameters.Keys | Should -Contain 'Confirm'
    }

    It '<Name> has a table view for its output type' -ForEach $Cmdlets {
        $formats = [xml](Get-Content -Raw (Join-Path (Split-Path $env:DEVOPSTOOLS_TEST_MODULE) 'DevOpsTools.Format.ps1xml'))
        $viewTypes = $formats.Configuration.ViewDefinitions.View.ViewSelectedBy.TypeName
        # PowerShell ships the views of its own types (a FileInfo, a string).
        foreach ($type in (Get-Command $Name).OutputType.Name | Where-Object { $_ -notlike 'System.*' }) {
            $viewTypes | Should -Contain $type
        }
    }
}
