# Dependency isolation: another YamlDotNet in the same process, loaded before or after the
# module, must not break either side. Each case runs in a fresh pwsh.
BeforeAll {
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    $script:OldYaml = Join-Path $packages 'yamldotnet/13.7.1/lib/net7.0/YamlDotNet.dll'
    $script:EnvFile = Join-Path $env:DEVOPSTOOLS_REPO_ROOT 'examples/environments/test.yaml'
    $script:Pwsh = (Join-Path $PSHOME ($IsWindows ? "pwsh.exe" : "pwsh"))

    function Invoke-Child([string] $script) {
        $output = & $Pwsh -NoProfile -NonInteractive -Command $script 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output -join "`n") }
    }

    # Uses the old YamlDotNet's own API (the module never exposes YamlDotNet types).
    $script:UseOldYaml = @'
$stream = [YamlDotNet.RepresentationModel.YamlStream]::new()
$stream.Load([System.IO.StringReader]::new("a: 1"))
"OLD:" + [YamlDotNet.RepresentationModel.YamlStream].Assembly.GetName().Version
'@
    $script:UseModule = @"
Import-Module '$($env:DEVOPSTOOLS_TEST_MODULE)'
`$e = Import-DevOpsEnvironment '$EnvFile' -ErrorAction Stop
'MODULE:' + `$e.Name
`$ours = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'YamlDotNet' } | ForEach-Object { [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name + '=' + `$_.GetName().Version }
'LOADED:' + (`$ours -join ';')
"@
}

Describe 'Dependency isolation' {
    It 'the test really has an older YamlDotNet to load' {
        Test-Path $OldYaml | Should -BeTrue
        [System.Reflection.AssemblyName]::GetAssemblyName($OldYaml).Version.Major | Should -Be 13
    }

    It 'works when another YamlDotNet was loaded first' {
        $result = Invoke-Child ("Add-Type -Path '$OldYaml'`n" + $UseOldYaml + "`n" + $UseModule + "`n" + $UseOldYaml)
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.Output | Should -Match 'MODULE:test'
        $result.Output | Should -Match 'OLD:13\.'
        $result.Output | Should -Match 'LOADED:.*DevOpsTools=18\.'
        $result.Output | Should -Match 'LOADED:.*Default=13\.'
    }

    It 'works when the module was imported first' {
        $result = Invoke-Child ($UseModule + "`nAdd-Type -Path '$OldYaml'`n" + $UseOldYaml + "`n" + $UseModule)
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.Output | Should -Match 'MODULE:test'
        $result.Output | Should -Match 'OLD:13\.'
    }
}
