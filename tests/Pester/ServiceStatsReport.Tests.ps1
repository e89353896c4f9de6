#Requires -Modules Pester
# Export-ServiceStats -Format Html opened in a real headless browser (Debian's chromium): the
# report renders with no script error and no console message, each chart draws one marker per
# sample and series, the tiles name each service, markup in a service name stays text, and the
# page's Content-Security-Policy blocks a script injected into it. The samples come from real
# probes of the test server of tests/DevOpsTools.StatsEndpoint with a known error mix over time.

Describe 'Export-ServiceStats -Format Html in a headless browser' -Tag 'Monitoring' {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:work = New-TestTempDirectory -Prefix 'stats-report'
        $script:endpoint = Start-TestStatsEndpoint -Directory (Join-Path $work 'endpoint')
        $base = $endpoint.Url

        function Invoke-Chromium {
            <# Runs headless chromium once with its own profile under the suite's folder; returns @{ Out; Err; Code }. #>
            param([string[]] $Arguments)
            $profileDir = Join-Path $work ('chromium-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
            $errFile = Join-Path $work 'chromium.err'
            # As root chromium refuses its sandbox; --no-sandbox is the documented way for a headless run.
            $common = @('--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
                "--user-data-dir=$profileDir", '--enable-logging=stderr', '--v=0')
            $out = & timeout 180 chromium @common @Arguments 2> $errFile
            $code = $LASTEXITCODE
            @{ Out = ($out -join "`n"); Err = (Get-Content -Raw $errFile); Code = $code }
        }

        function Get-RootTag {
            <# The opening <html> tag of a dumped DOM: where the page records its state (the page's own text may name the same attributes). #>
            param([string] $Dom)
            [regex]::Match($Dom, '<html[^>]*>').Value
        }

        function Get-Chart {
            <# The <svg class="chart"> elements of a dumped DOM, with their data-* attributes and marker counts per series. #>
            param([string] $Dom)
            foreach ($m in [regex]::Matches($Dom, '(?s)<svg class="chart"(?<attrs>[^>]*)>(?<body>.*?)</svg>')) {
                $attrs = $m.Groups['attrs'].Value
                $series = @{}
                foreach ($g in [regex]::Matches($m.Groups['body'].Value, '(?s)<g class="series[^"]*" data-series="(?<key>[^"]+)"[^>]*>(?<inner>.*?)</g>')) {
                    $series[$g.Groups['key'].Value] = [regex]::Matches($g.Groups['inner'].Value, '<circle class="point"').Count
                }
                [pscustomobject]@{
                    Chart   = [regex]::Match($attrs, 'data-chart="([^"]+)"').Groups[1].Value
                    Samples = [int][regex]::Match($attrs, 'data-samples="(\d+)"').Groups[1].Value
                    Drawn   = [regex]::Match($attrs, 'data-drawn-points="(\d+)"').Groups[1].Value
                    Series  = $series
                    NoData  = $m.Groups['body'].Value -match 'class="no-data"'
                }
            }
        }

        # shop: one URL whose error mix changes between samples (0, 4, 10, 0 % of each 100 answers 503)
        # against an SLO of 99 %; api: always healthy; the third answers 503 to everything, and its
        # name is markup that would mark the page if it ever ran.
        $script:evil = "<script>document.documentElement.setAttribute('data-pwned','1')</script><img src=x onerror=""document.title='pwned'"">"
        $script:shopFails = 0, 4, 10, 0
        $script:stats = foreach ($fail in $shopFails) {
            $null = Invoke-RestMethod -Method Post "$base/switch/dthtml-shop?fail=$fail"
            Get-ServiceStats -Url "$base/switch/dthtml-shop" -Requests 100 -Concurrency 2 -Service shop -Environment test -Objective 99
            Get-ServiceStats -Url "$base/mix?key=dthtml-api&fastMs=1" -Requests 50 -Service api -Environment test
            Get-ServiceStats -Url "$base/status/503" -Requests 5 -Service $evil -Environment test
            # Samples a second apart at least, so the time axis has a span.
            Start-Sleep -Milliseconds 1100
        }
        $script:report = Join-Path $work 'report.html'
        $script:written = $stats | Export-ServiceStats -Format Html -Path $report
        $script:url = [Uri]::new($report, [UriKind]::Absolute).AbsoluteUri
        $script:dump = Invoke-Chromium @('--dump-dom', $url)
        $script:charts = @(Get-Chart $dump.Out)
    }

    AfterAll {
        Stop-TestStatsEndpoint $endpoint
        Remove-TestTempDirectory $work
    }

    It 'probed the known error mix' {
        $shop = @($stats | Where-Object Service -EQ shop)
        $shop.Failures | Should -Be $shopFails
        @($stats | Where-Object Service -EQ $evil).Status | Sort-Object -Unique | Should -Be 'Down'
        $written | Should -BeOfType ([IO.FileInfo])
        @(Get-ChildItem -Force $work -Filter '.report.html.*').Count | Should -Be 0
    }

    It 'renders in chromium with no script error and no console message' {
        $dump.Code | Should -Be 0 -Because $dump.Err
        $dump.Out | Should -Not -BeNullOrEmpty -Because $dump.Err
        # The script ran to its end and counted no error.
        Get-RootTag $dump.Out | Should -Be '<html lang="en" data-script-errors="0" data-ready="true">'
        # Chromium logs every console message, a CSP violation included, as a CONSOLE line.
        ($dump.Err -split "`n" | Where-Object { $_ -match 'CONSOLE' }) | Should -BeNullOrEmpty
    }

    It 'draws one marker per sample and series in every chart' {
        $charts.Chart | Should -Be @('latency-1', 'availability-1', 'budget-1', 'burn-1', 'latency-2', 'availability-2', 'latency-3', 'availability-3')
        foreach ($chart in $charts) { $chart.Samples | Should -Be $shopFails.Count -Because $chart.Chart }
        $latency = $charts[0]
        foreach ($key in 'p50', 'p90', 'p99') { $latency.Series[$key] | Should -Be $shopFails.Count -Because "$key of shop" }
        # The browser laid every marker out inside its chart (the page counts them after layout).
        $latency.Drawn | Should -Be (3 * $shopFails.Count)
        foreach ($i in 1..3) { $charts[$i].Drawn | Should -Be $shopFails.Count -Because $charts[$i].Chart }
        $charts[5].Drawn | Should -Be $shopFails.Count
        # The service that never answered: no latency to draw, said in words; its 0 % availability is drawn.
        $charts[6].Drawn | Should -Be 0
        $charts[6].NoData | Should -BeTrue
        $charts[7].Drawn | Should -Be $shopFails.Count
    }

    It 'names each service in a status tile with its status in words' {
        $tiles = [regex]::Matches($dump.Out, '<a class="tile status-(?<css>\w+)"[^>]*data-service="(?<name>[^"]*)" data-status="(?<status>\w+)">') |
            ForEach-Object { [pscustomobject]@{ Name = [Net.WebUtility]::HtmlDecode($_.Groups['name'].Value); Status = $_.Groups['status'].Value; Css = $_.Groups['css'].Value } }
        $tiles.Name | Should -Be @('shop', 'api', $evil)
        $tiles.Status | Should -Be @('Healthy', 'Healthy', 'Down')
        $tiles.Css | Should -Be @('healthy', 'healthy', 'down')
        $dump.Out | Should -Match '<span class="status"><span class="symbol" aria-hidden="true">✕</span> Down</span>'
    }

    It 'keeps markup in a service name as text: it never runs' {
        Get-RootTag $dump.Out | Should -Not -Match 'data-pwned'
        $dump.Out | Should -Match '<title>Service stats: 3 services</title>'
        [regex]::Matches($dump.Out, '<script').Count | Should -Be 1
        $dump.Out | Should -Not -Match '<img'
        $dump.Out | Should -Match ([regex]::Escape('&lt;script&gt;document.documentElement.setAttribute('))
    }

    It 'blocks a script injected into the page, and counts a script error' {
        # The detectors work: an injected inline script is refused by the page's CSP (a console
        # message), and a chart the script cannot read (no viewBox) is an error counted on <html>.
        $html = Get-Content -Raw $report
        $injected = Join-Path $work 'injected.html'
        [IO.File]::WriteAllText($injected,  ($html -replace '</body>', "<script>document.documentElement.setAttribute('data-pwned','1')</script></body>"))
        $blocked = Invoke-Chromium @('--dump-dom', [Uri]::new($injected, [UriKind]::Absolute).AbsoluteUri)
        Get-RootTag $blocked.Out | Should -Not -Match 'data-pwned'
        $blocked.Err | Should -Match 'CONSOLE.*Content Security Policy'

        # A failing script the policy does allow (its hash added): the page counts its error.
        $failing = 'null.boom();'
        $hash = [Convert]::ToBase64String([Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($failing)))
        $broken = Join-Path $work 'broken.html'
        [IO.File]::WriteAllText($broken, ($html -replace "script-src 'sha256-", "script-src 'sha256-$hash' 'sha256-" -replace '</body>', "<script>$failing</script></body>"))
        $errors = Invoke-Chromium @('--dump-dom', [Uri]::new($broken, [UriKind]::Absolute).AbsoluteUri)
        Get-RootTag $errors.Out | Should -Match 'data-script-errors="1"'
        Get-RootTag $errors.Out | Should -Match 'data-last-script-error="[^"]*null[^"]*"'
    }

    It 'draws one sample per service as a point, not an empty chart' {
        $one = Join-Path $work 'one.html'
        $stats | Where-Object Service -EQ shop | Select-Object -First 1 | Export-ServiceStats Html $one | Out-Null
        $single = Invoke-Chromium @('--dump-dom', [Uri]::new($one, [UriKind]::Absolute).AbsoluteUri)
        Get-RootTag $single.Out | Should -Be '<html lang="en" data-script-errors="0" data-ready="true">'
        $oneCharts = @(Get-Chart $single.Out)
        $oneCharts.Chart | Should -Be @('latency-1', 'availability-1', 'budget-1', 'burn-1')
        $oneCharts[0].Drawn | Should -Be 3
        foreach ($chart in $oneCharts[1..3]) { $chart.Drawn | Should -Be 1 -Because $chart.Chart }
    }

    It 'takes a 1280x900 screenshot of the report' {
        $png = Join-Path $work 'report.png'
        $shot = Invoke-Chromium @("--screenshot=$png", '--window-size=1280,900', '--hide-scrollbars', $url)
        $shot.Code | Should -Be 0 -Because $shot.Err
        $bytes = [IO.File]::ReadAllBytes($png)
        $bytes[1..3] | Should -Be ([byte[]][char[]]'PNG')
        # IHDR: width and height, big-endian, at bytes 16 and 20.
        [Net.IPAddress]::NetworkToHostOrder([BitConverter]::ToInt32($bytes, 16)) | Should -Be 1280
        [Net.IPAddress]::NetworkToHostOrder([BitConverter]::ToInt32($bytes, 20)) | Should -Be 900
        # Not a blank page: a screenshot of charts and tiles is far bigger than a flat colour.
        $bytes.Length | Should -BeGreaterThan 20000
    }
}
