-- What did this process and its descendants do, in order?
--
-- Every recorded action (exec, fork, exit, file open and change,
-- network, privilege and other security operations) of the process
-- instances with this pid and of all their descendants, with a one-line
-- summary of each action.
--
-- @param pid INTEGER required The process at the top of the subtree.
-- @param since TIME optional Only events at or after this time.
-- @param until TIME optional Only events before this time.
WITH tree AS (
    SELECT proc_id, pid, start_t, coalesce(end_t, 9223372036854775807) AS end_t
    FROM processes
    WHERE pid = $pid OR list_contains(lineage, $pid)
)
SELECT e.ts, t.proc_id, e.pid, e.tid, e.kind, e.syscall, e.comm,
       CASE e.kind
           WHEN 'exec' THEN e.exe_path || coalesce(' ' || array_to_string(e.argv, ' '), '')
           WHEN 'fork' THEN 'child ' || e.child_pid
           WHEN 'exit' THEN 'code ' || e.exit_code || CASE WHEN e.exit_signal <> 0 THEN ' signal ' || e.exit_signal ELSE '' END
           WHEN 'open' THEN e.path || ' flags 0x' || lower(hex(e.flags))
           WHEN 'file' THEN e.path || coalesce(' -> ' || e.target_path, '')
                || CASE WHEN e.mode IS NOT NULL AND e.mode <> 0 THEN ' mode 0' || printf('%o', e.mode) ELSE '' END
           WHEN 'net' THEN coalesce(e.proto || ' ', '') || coalesce(e.daddr, '')
                || CASE WHEN e.dport IS NOT NULL AND e.dport <> 0 THEN ':' || e.dport ELSE '' END
           WHEN 'security' THEN concat_ws(' ',
                'uid=' || e.new_uid, 'euid=' || e.new_euid, 'gid=' || e.new_gid,
                'target=' || e.target_pid, 'signal=' || e.signal, e.path)
       END AS detail,
       e.ret
FROM events e
JOIN tree t ON e.pid = t.pid AND epoch_ns(e.ts) >= t.start_t AND epoch_ns(e.ts) <= t.end_t
WHERE e.kind IN ('exec', 'fork', 'exit', 'open', 'file', 'net', 'security')
  AND ($since IS NULL OR epoch_ns(e.ts) >= $since)
  AND ($until IS NULL OR epoch_ns(e.ts) < $until)
ORDER BY e.ts, e.seq, e.pid, t.proc_id;
