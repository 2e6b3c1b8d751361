-- Who wrote to the places attackers use to survive a reboot or a logout?
--
-- Writes, creations, renames, links, chmods and chowns touching cron
-- tables, systemd units, init scripts, shell startup files, SSH
-- authorized_keys and /etc/ld.so.preload, with the process that did it.
WITH w AS (
    SELECT ts, pid, comm, exe_path, uid, container_id, kind, syscall, flags, ret,
           CASE WHEN syscall LIKE 'rename%' OR syscall LIKE 'link%' OR syscall LIKE 'symlink%'
                THEN coalesce(target_path, path) ELSE path END AS target
    FROM files
    WHERE (kind = 'open' AND (flags & 3 <> 0 OR flags & 64 <> 0 OR flags & 512 <> 0))
       OR (kind = 'file' AND syscall NOT LIKE 'unlink%' AND syscall NOT LIKE 'rmdir%')
), classified AS (
    SELECT *,
           CASE
               WHEN regexp_matches(target, '^(/etc/crontab$|/etc/cron\.(d|hourly|daily|weekly|monthly)/|/var/spool/cron/)') THEN 'cron'
               WHEN regexp_matches(target, '^(/etc|/usr/lib|/lib|/run)/systemd/(system|user)/|/\.config/systemd/user/') THEN 'systemd unit'
               WHEN regexp_matches(target, '^(/etc/init\.d/|/etc/rc\.local$|/etc/rc[0-6S]\.d/)') THEN 'init script'
               WHEN regexp_matches(target, '/\.(bashrc|bash_profile|bash_login|bash_logout|profile|zshrc|zprofile|zshenv|zlogin)$|^/etc/(profile|bash\.bashrc|zsh/|profile\.d/)') THEN 'shell startup'
               WHEN regexp_matches(target, '/\.ssh/authorized_keys2?$') THEN 'ssh authorized_keys'
               WHEN target = '/etc/ld.so.preload' THEN 'ld.so.preload'
           END AS category
    FROM w
)
SELECT c.ts, p.proc_id, c.pid, c.comm, c.exe_path, p.user_name, c.container_id,
       c.category, c.target AS path, c.syscall,
       CASE WHEN c.ret < 0 THEN 'failed (' || c.ret || ')' ELSE 'ok' END AS result
FROM classified c
LEFT JOIN processes p ON p.pid = c.pid AND epoch_ns(c.ts) >= p.start_t
      AND (p.end_t IS NULL OR epoch_ns(c.ts) <= p.end_t)
WHERE c.category IS NOT NULL
ORDER BY c.ts, c.pid;
