-- Who read, or tried to read, credentials and secrets?
--
-- Opens for reading of password and group shadow files, sudoers, SSH
-- private keys and host keys, cloud and cluster credentials, TLS private
-- keys, GnuPG homes and shell histories, including refused attempts
-- (a negative result is the errno).
WITH o AS (
    SELECT ts, pid, comm, exe_path, uid, container_id, path, flags, ret
    FROM files
    WHERE kind = 'open' AND flags & 1 = 0
)
SELECT o.ts, p.proc_id, o.pid, o.comm, o.exe_path, p.user_name, o.container_id,
       o.path,
       CASE WHEN regexp_matches(o.path, '^/etc/(shadow|gshadow)-?$') THEN 'password hashes'
            WHEN regexp_matches(o.path, '^/etc/sudoers(\.d/.*)?$') THEN 'sudoers'
            WHEN regexp_matches(o.path, '^/etc/ssh/ssh_host_.*_key$') THEN 'ssh host key'
            WHEN regexp_matches(o.path, '/\.ssh/id_[^/]*$') AND NOT o.path LIKE '%.pub' THEN 'ssh private key'
            WHEN regexp_matches(o.path, '/\.(aws/credentials|kube/config|docker/config\.json|git-credentials|netrc|pgpass)$') THEN 'credentials file'
            WHEN regexp_matches(o.path, '^/etc/(ssl|pki)/private/|^/var/lib/kubelet/pki/|^/etc/kubernetes/pki/') THEN 'tls private key'
            WHEN regexp_matches(o.path, '/\.gnupg/') THEN 'gnupg'
            WHEN regexp_matches(o.path, '/\.(bash|zsh|sh|mysql|psql)_history$') THEN 'shell history'
       END AS category,
       CASE WHEN o.ret < 0 THEN 'failed (' || o.ret || ')' ELSE 'ok' END AS result
FROM o
LEFT JOIN processes p ON p.pid = o.pid AND epoch_ns(o.ts) >= p.start_t
      AND (p.end_t IS NULL OR epoch_ns(o.ts) <= p.end_t)
WHERE category IS NOT NULL
ORDER BY o.ts, o.pid;
