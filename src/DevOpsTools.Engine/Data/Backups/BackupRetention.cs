namespace DevOpsTools.Engine.Data.Backups;

/// <summary>Which backups a retention policy removes: beyond the newest <c>keep</c>, or older than <c>maxAge</c>; never the newest one.</summary>
public static class BackupRetention
{
    public static IReadOnlyList<AppBackup> ToRemove(IEnumerable<AppBackup> backups, int? keep, TimeSpan? maxAge, DateTimeOffset now)
    {
        var newestFirst = backups.OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.Id, StringComparer.Ordinal).ToList();
        var remove = new List<AppBackup>();
        for (var i = 1; i < newestFirst.Count; i++)
        {
            // The newest backup always stays: a policy must never leave a database with none.
            var backup = newestFirst[i];
            if ((keep is { } k && i >= k) || (maxAge is { } age && now - backup.CreatedAt > age))
            {
                remove.Add(backup);
            }
        }

        return remove;
    }
}
