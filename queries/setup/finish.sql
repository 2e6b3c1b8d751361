-- Runs once procbuild.go has written the process instances (_proc3) and
-- their tree positions (_tree): adds hash and user names, and the
-- heartbeat and keyframe tables.

CREATE OR REPLACE TEMP TABLE processes AS
SELECT p.proc_id, p.pid, p.ppid, p.parent_proc_id,
       make_timestamp_ns(p.start_t) AS start_ts,
       make_timestamp_ns(p.end_t) AS end_ts,
       p.exit_code, p.exit_signal,
       p.comm, p.exe_path, p.argv, p.cwd, p.interpreter,
       h.sha256, h.hash_source, h.hash_error,
       p.uid, u.user_name, p.euid, eu.user_name AS euser_name, p.gid, p.egid, p.loginuid,
       p.container_id, p.container_runtime,
       t.depth, t.lineage, t.ancestor_ids,
       p.exe_dev, p.exe_ino, p.exe_ctime, p.exe_mtime, p.exe_size, p.exe_mode,
       p.exe_upper_layer, p.exe_from_memfd, p.exe_writable,
       p.image_known, p.image_from,
       p.exec_count, make_timestamp_ns(p.last_exec_t) AS exec_ts,
       p.forked_here, p.in_keyframe,
       p.vpid, p.tty, p.sid, p.cgroup_id, p.pid_ns, p.mnt_ns, p.net_ns, p.user_ns,
       p.gen, p.start_t, p.end_t, t.tree_key
FROM _proc3 p
LEFT JOIN _tree t ON t.proc_id = p.proc_id
LEFT JOIN hashes h
       ON h.exe_dev = p.exe_dev AND h.exe_ino = p.exe_ino
      AND h.exe_ctime IS NOT DISTINCT FROM p.exe_ctime
      AND h.exe_mtime IS NOT DISTINCT FROM p.exe_mtime
      AND h.exe_size IS NOT DISTINCT FROM p.exe_size
LEFT JOIN users u ON u.uid = p.uid
LEFT JOIN users eu ON eu.uid = p.euid;

CREATE OR REPLACE TEMP TABLE drops AS
WITH hb AS (
    SELECT ts, t,
           CAST(list_sum(drops_per_cpu) AS BIGINT) AS kernel_total,
           CAST(drops_user AS BIGINT) AS user_total,
           drops_per_cpu, ring_used_bytes, ring_size_bytes,
           recorder_cpu_ns, recorder_rss_bytes
    FROM _life WHERE kind = 'heartbeat'
), d AS (
    SELECT *, lag(ts) OVER w AS prev_ts,
           lag(kernel_total) OVER w AS prev_kernel, lag(user_total) OVER w AS prev_user
    FROM hb WINDOW w AS (ORDER BY t)
)
-- A counter that went down means the recorder restarted: the whole
-- value is new.
SELECT prev_ts AS since_ts, ts AS until_ts,
       CASE WHEN prev_kernel IS NULL OR kernel_total < prev_kernel THEN kernel_total
            ELSE kernel_total - prev_kernel END AS kernel_drops,
       CASE WHEN prev_user IS NULL OR user_total < prev_user THEN user_total
            ELSE user_total - prev_user END AS user_drops,
       kernel_total, user_total, drops_per_cpu,
       ring_used_bytes, ring_size_bytes, recorder_cpu_ns, recorder_rss_bytes
FROM d;

CREATE OR REPLACE TEMP TABLE first_keyframe AS
SELECT * FROM _life
WHERE kind = 'keyframe' AND t = (SELECT min(t) FROM _life WHERE kind = 'keyframe');
