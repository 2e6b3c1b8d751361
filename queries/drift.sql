-- Which executables ran that were not part of the image they run in?
--
-- Executions of a file that was written, created, renamed into place or
-- chmod'ed earlier in this recording (drop, make executable, run), and,
-- inside containers, executions of a file from the writable upper layer
-- or whose inode changed after the container started, and executions of
-- anonymous memory files (memfd_create), which no image holds. One row
-- per exec with every reason that applies.
--
-- @param max_delay INTEGER optional Only writes at most this many seconds before the exec.
WITH writes AS (
    SELECT ts, pid, exe_path AS writer_exe,
           CASE WHEN syscall LIKE 'rename%' OR syscall LIKE 'link%' THEN target_path ELSE path END AS path,
           CASE WHEN kind = 'open' THEN 'written'
                WHEN syscall LIKE '%chmod%' THEN 'chmod'
                ELSE 'placed by ' || syscall END AS how
    FROM files
    WHERE coalesce(ret, 0) >= 0
      AND ((kind = 'open' AND (flags & 3 <> 0 OR flags & 64 <> 0))
        OR (kind = 'file' AND (syscall LIKE '%chmod%' OR syscall LIKE 'rename%' OR syscall LIKE 'link%')))
), reasons AS (
    SELECT x.ts, x.proc_id,
           w.how || ' at ' || strftime(w.ts, '%H:%M:%S.%f') || ' by pid ' || w.pid || ' (' || w.writer_exe || ')' AS reason
    FROM execs x
    JOIN writes w ON w.path IN (x.exe_path, x.filename, x.interpreter)
     AND w.ts <= x.ts
     AND ($max_delay IS NULL OR epoch_ns(x.ts) - epoch_ns(w.ts) <= $max_delay * 1000000000)
    UNION ALL
    SELECT ts, proc_id, 'runs from the container''s writable layer'
    FROM execs WHERE container_id IS NOT NULL AND exe_upper_layer
    UNION ALL
    SELECT ts, proc_id, 'runs from an anonymous memfd'
    FROM execs WHERE exe_from_memfd
    UNION ALL
    SELECT ts, proc_id, 'file changed after the container started'
    FROM execs
    WHERE container_id IS NOT NULL AND pidns_init_start_ts IS NOT NULL
      AND (exe_ctime > pidns_init_start_ts OR exe_mtime > pidns_init_start_ts)
)
SELECT x.ts, x.proc_id, x.pid, x.exe_path, x.sha256, x.user_name, x.container_id,
       string_agg(DISTINCT r.reason, '; ' ORDER BY r.reason) AS reasons
FROM reasons r
JOIN execs x ON x.ts = r.ts AND x.proc_id = r.proc_id
GROUP BY x.ts, x.proc_id, x.pid, x.exe_path, x.sha256, x.user_name, x.container_id
ORDER BY x.ts, x.pid;
