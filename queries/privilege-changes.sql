-- Which processes changed, or tried to change, their privileges?
--
-- Identity and capability system calls (setuid family, setgid family,
-- capset) and namespace changes (unshare, setns, clone3 into new
-- namespaces), with their result, and execs that changed privileges: a
-- set-user-id program (effective uid differs from the real one) or a
-- real or effective uid other than the parent's.
SELECT s.ts, p.proc_id, s.pid, s.comm, s.exe_path, s.uid, s.euid,
       s.syscall || '(' || concat_ws(', ', 'uid=' || s.new_uid, 'euid=' || s.new_euid, 'suid=' || s.new_suid,
                                     'gid=' || s.new_gid, 'egid=' || s.new_egid, 'sgid=' || s.new_sgid,
                                     CASE WHEN s.syscall = 'capset' THEN 'caps=0x' || lower(hex(s.cap_permitted)) END,
                                     CASE WHEN s.ns_flags <> 0 THEN 'ns=0x' || lower(hex(s.ns_flags)) END) || ')' AS change,
       CASE WHEN s.ret < 0 THEN 'failed (' || s.ret || ')' ELSE 'ok' END AS result
FROM security s
LEFT JOIN processes p ON p.pid = s.pid AND epoch_ns(s.ts) >= p.start_t
      AND (p.end_t IS NULL OR epoch_ns(s.ts) <= p.end_t)
WHERE regexp_matches(s.syscall, '^(setuid|setgid|setreuid|setregid|setresuid|setresgid|setfsuid|setfsgid|capset)$')
   OR (s.syscall IN ('unshare', 'clone3', 'setns') AND s.ns_flags <> 0)
UNION ALL
SELECT x.ts, x.proc_id, x.pid, x.comm, x.exe_path, x.uid, x.euid,
       'exec as uid=' || x.uid || ' euid=' || x.euid
           || CASE WHEN par.uid IS NOT NULL THEN ' (parent uid=' || par.uid || ' euid=' || par.euid || ')' ELSE '' END AS change,
       'ok' AS result
FROM execs x
LEFT JOIN processes me ON me.proc_id = x.proc_id
LEFT JOIN processes par ON par.proc_id = me.parent_proc_id
WHERE x.euid <> x.uid OR x.uid <> par.uid OR x.euid <> par.euid
ORDER BY ts, pid;
