using System.Formats.Tar;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data.Backups;
using DevOpsTools.Engine.Data.Volumes;
using DevOpsTools.Engine.Deploy.ContainerHost;
using DevOpsTools.Engine.Servers.Podman;

namespace DevOpsTools.Engine.Tests.Data;

/// <summary>App volume backups: names and ids, manifests of both kinds, the archive check, and what is refused before anything is written.</summary>
public sealed class VolumeBackupTests : IDisposable
{
    private static readonly DateTimeOffset Created = new(2026, 12, 4, 1, 2, 3, 456, TimeSpan.Zero);
    private readonly ScratchDirectory _scratch = ScratchDirectory.Create("dtvol-xunit");

    public void Dispose() => _scratch.Dispose();

    private static AppBackup VolumeBackup(string id, string volume = "dot-test-shop-data") => new()
    {
        Id = id, Kind = AppBackup.VolumeKind, Environment = "test", Service = "shop", Database = string.Empty, Volume = volume,
        Engine = VolumeBackups.Engine, Version = "4.3.1", Format = VolumeBackups.Format, CreatedAt = Created, SizeBytes = 10,
        Sha256 = new string('b', 64), Duration = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public void An_apps_volume_is_named_as_Deploy_App_names_it_and_its_backup_id_never_looks_like_a_databases()
    {
        Assert.Equal("dot-test-shop-data", VolumeBackupNames.PodmanVolume("test", "shop", "data"));
        Assert.Equal("data", VolumeBackupNames.ShortName("test", "shop", "dot-test-shop-data"));
        Assert.Equal("api-data", VolumeBackupNames.ShortName("test", "shop", "dot-test-shop-api-data"));
        Assert.Equal("other-volume", VolumeBackupNames.ShortName("test", "shop", "other-volume"));
        Assert.Equal("vol-data-20261204T010203456Z", VolumeBackupNames.BackupId("data", Created));
        Assert.Equal("vol-data-20261204T010203456Z", VolumeBackupNames.BackupId("data", Created.ToOffset(TimeSpan.FromHours(2))));
        Assert.True(VolumeBackupNames.IsPodmanVolumeName("dot-test-shop-data"));
        Assert.False(VolumeBackupNames.IsPodmanVolumeName("-rm"));
        Assert.False(VolumeBackupNames.IsPodmanVolumeName("a/b"));
        Assert.False(VolumeBackupNames.IsPodmanVolumeName("a b"));
    }

    [Fact]
    public void The_declared_volumes_are_those_any_revision_of_the_deployment_mounts()
    {
        RevisionSpec Spec(params string[] volumes) => new()
        {
            Image = "localhost/shop:1",
            Volumes = new SortedDictionary<string, string>(volumes.ToDictionary(v => v, v => "/" + v), StringComparer.Ordinal),
        };
        var state = new HostState
        {
            App = "shop", Environment = "test",
            Revisions = [new HostRevision { Revision = 1, Spec = Spec("dot-test-shop-data") }, new HostRevision { Revision = 2, Spec = Spec("dot-test-shop-data", "dot-test-shop-cache") }],
        };

        // Through the state file's own JSON, as the host writes it.
        Assert.Equal(["dot-test-shop-cache", "dot-test-shop-data"], VolumeBackupNames.DeclaredVolumes(HostState.Parse(state.ToJson())));
        Assert.Empty(VolumeBackupNames.DeclaredVolumes(null));
    }

    [Fact]
    public void A_volume_manifest_round_trips_with_its_kind_and_an_older_manifest_is_a_database_backup()
    {
        var json = VolumeBackup("vol-data-1").ToJson();
        var back = AppBackup.FromJson(json)!;
        Assert.Equal(AppBackup.VolumeKind, back.Kind);
        Assert.Equal("dot-test-shop-data", back.Volume);
        Assert.Equal(".tar", back.FileExtension);
        Assert.Contains("\"kind\": \"Volume\"", json, StringComparison.Ordinal);

        var old = AppBackup.FromJson("{\"id\":\"shop-1\",\"environment\":\"test\",\"service\":\"main\",\"database\":\"shop\",\"engine\":\"PostgreSQL\",\"version\":\"15\",\"format\":\"pg_dump custom\",\"createdAt\":\"2026-12-03T12:00:00+00:00\",\"sizeBytes\":1,\"sha256\":\"" + new string('a', 64) + "\",\"duration\":\"00:00:01\"}")!;
        Assert.Equal(AppBackup.DatabaseKind, old.Kind);
        Assert.Null(old.Volume);
        Assert.Equal(".dump", old.FileExtension);
    }

    [Fact]
    public void A_listing_points_a_volume_backup_at_its_tar_file()
    {
        var backup = VolumeBackup("vol-data-1");
        File.WriteAllText(Path.Combine(_scratch.Path, "vol-data-1.json"), backup.ToJson());
        var listed = Assert.Single(BackupFiles.List(_scratch.Path));
        Assert.Equal(Path.Combine(_scratch.Path, "vol-data-1.tar"), listed.Path);
        Assert.Equal(AppBackup.VolumeKind, listed.Kind);
    }

    [Fact]
    public async Task The_archive_check_reads_a_tar_to_its_end_and_fails_a_truncated_or_changed_one_by_name()
    {
        var file = Path.Combine(_scratch.Path, "vol-data-1.tar");
        await using (var stream = File.Create(file))
        {
            await using var writer = new TarWriter(stream, TarEntryFormat.Pax);
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "./"));
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "nested/"));
            var data = new byte[100_000];
            new Random(1).NextBytes(data);
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "nested/blob.bin") { DataStream = new MemoryStream(data) });
        }

        var backup = VolumeBackup("vol-data-1");
        backup = new AppBackup
        {
            Id = backup.Id, Kind = backup.Kind, Environment = backup.Environment, Service = backup.Service, Database = backup.Database, Volume = backup.Volume,
            Engine = backup.Engine, Version = backup.Version, Format = backup.Format, CreatedAt = backup.CreatedAt, SizeBytes = new FileInfo(file).Length,
            Sha256 = await BackupFiles.Sha256Async(file, CancellationToken.None), Duration = backup.Duration, Path = file, ManifestPath = Path.ChangeExtension(file, ".json"),
        };
        var passed = await VolumeArchiveCheck.TestAsync(backup, CancellationToken.None);
        Assert.True(passed.Passed, passed.Reason);
        Assert.Equal(2, passed.Files);

        // A truncated archive is no archive, whatever its checksum says; and the changed file fails the checksum first.
        var bytes = await File.ReadAllBytesAsync(file);
        await File.WriteAllBytesAsync(file, bytes[..(bytes.Length / 2)]);
        Assert.True(await VolumeArchiveCheck.CountEntriesAsync(file, CancellationToken.None).ContinueWith(t => t.IsFaulted, TaskScheduler.Default));

        var changed = await VolumeArchiveCheck.TestAsync(backup, CancellationToken.None);
        Assert.False(changed.Passed);
        Assert.Contains(file, changed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_deployment_here_or_with_a_missing_volume_nothing_is_written()
    {
        var data = new ModuleData(_scratch.Path);
        var backups = new VolumeBackups(new PodmanVolumeHost(PodmanCli.Locate(), data), data);
        var dir = Path.Combine(_scratch.Path, "out");

        var none = await Assert.ThrowsAsync<DevOpsToolsException>(() => backups.BackupAsync("dtvol-x", "shop", null, dir, null, EngineContext.Silent()));
        Assert.Equal(ErrorIds.VolumeNotFound, none.ErrorId);
        Assert.Contains("-Volume", none.RecommendedAction, StringComparison.Ordinal);

        // The deployment's state names a volume podman does not have: refused by its name.
        var state = new HostState
        {
            App = "shop", Environment = "dtvol-x",
            Revisions = [new HostRevision { Revision = 1, Spec = new RevisionSpec { Image = "localhost/shop:1", Volumes = new(StringComparer.Ordinal) { ["dot-dtvol-x-shop-gone"] = "/data" } } }],
        };
        Directory.CreateDirectory(Path.Combine(_scratch.Path, "deploy", "dtvol-x", "shop"));
        await File.WriteAllTextAsync(Path.Combine(_scratch.Path, "deploy", "dtvol-x", "shop", "state.json"), state.ToJson());
        var missing = await Assert.ThrowsAsync<DevOpsToolsException>(() => backups.BackupAsync("dtvol-x", "shop", null, dir, null, EngineContext.Silent()));
        Assert.Equal(ErrorIds.VolumeNotFound, missing.ErrorId);
        Assert.Contains("dot-dtvol-x-shop-gone", missing.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
    }
}
