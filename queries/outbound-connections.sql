-- Which processes connected out of the host, to where?
--
-- IPv4 and IPv6 connects to addresses other than loopback and the
-- unspecified address, with the process, its executable hash, user and
-- container. Refused and pending connects are listed with their result.
SELECT n.ts, p.proc_id, n.pid, n.comm, n.exe_path, p.sha256, p.user_name, n.container_id,
       n.proto, n.daddr, n.dport, n.saddr, n.sport,
       CASE WHEN n.ret = -115 THEN 'in progress' WHEN n.ret < 0 THEN 'failed (' || n.ret || ')' ELSE 'ok' END AS result
FROM network n
LEFT JOIN processes p ON p.pid = n.pid AND epoch_ns(n.ts) >= p.start_t
      AND (p.end_t IS NULL OR epoch_ns(n.ts) <= p.end_t)
WHERE n.syscall = 'connect' AND n.family IN (2, 10)
  AND n.daddr IS NOT NULL
  AND NOT regexp_matches(n.daddr, '^(127\.|::1$|0\.0\.0\.0$|::$|::ffff:127\.)')
ORDER BY n.ts, n.pid;
