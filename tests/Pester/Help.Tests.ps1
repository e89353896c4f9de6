# Get-Help must be real for every exported cmdlet: no auto-generated help.
BeforeDiscovery {
    Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
    $script:Cmdlets = Get-Command -Module DevOpsTools -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } }
}

BeforeAll {
    Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
    $script:Common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
}

Describe 'Help for <Name>' -ForEach $Cmdlets {
    BeforeAll {
        $script:Help = Get-Help $Name -Full
    }

    It 'has a synopsis' {
        $Help.Synopsis | Should -Not -BeNullOrEmpty
        # Auto-generated help repeats the syntax as synopsis.
        $Help.Synopsis | Should -Not -Match "^\s*$Name\s+\["
    }

    It 'has a description' {
        ($Help.Description.Text -join '') | Should -Not -BeNullOrEmpty
    }

    It 'has at least two examples with code and remarks' {
        @($Help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        foreach ($example in $Help.Examples.Example) {
            $example.Code | Should -Match $Name
            ($example.Remarks.Text -join '') | Should -Not -BeNullOrEmpty
        }
    }

    It 'describes every parameter' {
        $parameters = (Get-Command $Name).Parameters.Keys | Where-Object { $_ -notin $Common }
        foreach ($parameter in $parameters) {
            $entry = $Help.Parameters.Parameter | Where-Object Name -eq $parameter
            $entry | Should -Not -BeNullOrEmpty -Because "-$parameter must be in the help"
            ($entry.Description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$parameter needs a description"
        }
    }

    It 'documents only parameters that exist' {
        $parameters = (Get-Command $Name).Parameters.Keys
        foreach ($entry in $Help.Parameters.Parameter) {
            $parameters | Should -Contain $entry.Name
        }
    }
}

Describe 'about_DevOpsTools' {
    It 'is installed with the module' {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        (Get-Help about_DevOpsTools | Out-String) | Should -Match 'One object pipeline'
    }
}
