-- The process instance tables in SQL: the reference that procbuild.go
-- must match (TestGoBuiltTablesMatchSQL), written to _ref_proc3 and
-- _ref_tree. Statements end with ";" at the end of a line.
--
-- Process instances. A pid names a new process after each exit of its
-- thread-group leader, so an instance is a pid plus its generation: the
-- number of leader exits of that pid seen before. A fork row belongs to
-- the child's generation as of one second before the fork returned in
-- the parent: the child may exec and even exit before its parent's fork
-- syscall returns and is recorded.
--
-- A leader exit that an exec of its pid follows, with a start before the
-- exit, did not end the process: a thread other than the leader called
-- exec (the kernel ends the leader then, and the exec keeps the
-- process's start time), while a process that reuses the pid starts after
-- the exit. Such an exit starts no generation and is not an instance row.
CREATE OR REPLACE TEMP TABLE _leader_exits AS
SELECT rowid AS rid, pid, t FROM _life x
WHERE kind = 'exit' AND tid = pid
  AND NOT EXISTS (SELECT 1 FROM _life e
                  WHERE e.kind = 'exec' AND coalesce(e.ret, 0) = 0 AND e.pid = x.pid
                    AND (e.t > x.t OR e.t = x.t AND e.rowid > x.rowid)
                    AND epoch_ns(e.start_ts) < x.t);

CREATE OR REPLACE TEMP TABLE _exits AS
SELECT pid, t, row_number() OVER (PARTITION BY pid ORDER BY t) AS gen
FROM _leader_exits;

-- The rows of process instances, with the columns the instance tables
-- read; rid is the row's position in _life, for execs to join back.
CREATE OR REPLACE TEMP TABLE _inst_rows AS
WITH r AS (
    SELECT rowid AS rid, kind, pid, tid, ppid, child_pid, t, start_ts, ret,
           exit_code, exit_signal, comm, exe_path, exe_dev, exe_ino, exe_ctime, exe_mtime,
           exe_size, exe_mode, exe_upper_layer, exe_from_memfd, exe_writable, argv, cwd,
           interpreter, tty, sid, container_runtime, uid, gid, euid, egid, loginuid, vpid,
           container_id, cgroup_id, pid_ns, mnt_ns, net_ns, user_ns,
           CASE WHEN kind = 'fork' THEN child_pid ELSE pid END AS ipid,
           CASE WHEN kind = 'fork' THEN t - 1000000000 ELSE t END AS key_t,
           -- Orders an instance's rows by time with fork rows (which
           -- describe the parent) before all others: 2^62 exceeds any ns time.
           CASE WHEN kind = 'fork' THEN t - 4611686018427387904 ELSE t END AS pri_t
    FROM _life
    WHERE (kind IN ('exec', 'keyframe') AND coalesce(ret, 0) = 0)
       OR (kind = 'exit' AND rowid IN (SELECT rid FROM _leader_exits))
       OR (kind = 'fork' AND child_pid IS NOT NULL AND child_pid <> pid)
)
SELECT r.*, coalesce(x.gen, 0) AS gen
FROM r ASOF LEFT JOIN _exits x ON r.ipid = x.pid AND r.key_t > x.t;

-- One row per instance. Image columns come from the last exec (or the
-- keyframe when it never exec'd here); the others from the instance's own
-- rows, a fork row (which describes the parent, i.e. the child as forked)
-- counting only when nothing else does.
CREATE OR REPLACE TEMP TABLE _proc AS
SELECT ipid AS pid, gen,
       arg_min(pid, t) FILTER (WHERE kind = 'fork') AS fork_parent,
       min(t) FILTER (WHERE kind = 'fork') AS fork_t,
       min(epoch_ns(start_ts)) FILTER (WHERE kind = 'exec') AS exec_start_t,
       min(epoch_ns(start_ts)) FILTER (WHERE kind = 'keyframe') AS keyframe_start_t,
       min(t) AS first_t,
       max(t) FILTER (WHERE kind = 'exit') AS exit_t,
       arg_max(exit_code, t) FILTER (WHERE kind = 'exit') AS exit_code,
       arg_max(exit_signal, t) FILTER (WHERE kind = 'exit') AS exit_signal,
       arg_min(ppid, t) FILTER (WHERE kind IN ('exec', 'keyframe', 'exit')) AS first_ppid,
       count(*) FILTER (WHERE kind = 'exec') AS exec_count,
       bool_or(kind = 'keyframe') AS in_keyframe,
       min(t) FILTER (WHERE kind = 'exec') AS first_exec_t,
       max(t) FILTER (WHERE kind = 'exec') AS last_exec_t,
       arg_max(exe_path, t) FILTER (WHERE kind IN ('exec', 'keyframe')) AS image_path,
       arg_max(exe_ctime, t) FILTER (WHERE kind IN ('exec', 'keyframe')) AS exe_ctime,
       arg_max(exe_mtime, t) FILTER (WHERE kind IN ('exec', 'keyframe')) AS exe_mtime,
       arg_max(exe_size, t) FILTER (WHERE kind IN ('exec', 'keyframe')) AS exe_size,
       arg_max(exe_mode, t) FILTER (WHERE kind IN ('exec', 'keyframe')) AS exe_mode,
       arg_max(exe_upper_layer, t) FILTER (WHERE kind IN ('exec', 'keyframe')) AS exe_upper_layer,
       arg_max(exe_from_memfd, t) FILTER (WHERE kind IN ('exec', 'keyframe')) AS exe_from_memfd,
       arg_max(exe_writable, t) FILTER (WHERE kind IN ('exec', 'keyframe')) AS exe_writable,
       arg_max(argv, t) FILTER (WHERE kind IN ('exec', 'keyframe')) AS argv,
       arg_max(cwd, t) FILTER (WHERE kind IN ('exec', 'keyframe')) AS cwd,
       arg_max(interpreter, t) FILTER (WHERE kind IN ('exec', 'keyframe')) AS interpreter,
       arg_max(tty, t) FILTER (WHERE kind IN ('exec', 'keyframe')) AS tty,
       arg_max(sid, t) FILTER (WHERE kind IN ('exec', 'keyframe')) AS sid,
       arg_max(container_runtime, t) FILTER (WHERE kind IN ('exec', 'keyframe')) AS container_runtime,
       arg_max(exe_path, pri_t) AS exe_path,
       arg_max(exe_dev, pri_t) AS exe_dev,
       arg_max(exe_ino, pri_t) AS exe_ino,
       arg_max(comm, pri_t) AS comm,
       arg_max(uid, pri_t) AS uid,
       arg_max(gid, pri_t) AS gid,
       arg_max(euid, pri_t) AS euid,
       arg_max(egid, pri_t) AS egid,
       arg_max(loginuid, pri_t) AS loginuid,
       arg_max(vpid, pri_t) FILTER (WHERE kind <> 'fork') AS vpid,
       arg_max(container_id, pri_t) AS container_id,
       arg_max(cgroup_id, pri_t) AS cgroup_id,
       arg_max(pid_ns, pri_t) AS pid_ns,
       arg_max(mnt_ns, pri_t) AS mnt_ns,
       arg_max(net_ns, pri_t) AS net_ns,
       arg_max(user_ns, pri_t) AS user_ns
FROM _inst_rows
GROUP BY ipid, gen;

CREATE OR REPLACE TEMP TABLE _proc2 AS
SELECT p.*,
       coalesce(exec_start_t, fork_t, keyframe_start_t, first_t) AS start_t,
       coalesce(fork_parent, first_ppid) AS parent_pid
FROM _proc p;

-- The parent instance is the parent pid's generation live at the start,
-- when that instance was recorded.
CREATE OR REPLACE TEMP TABLE _ref_proc3 AS
WITH pg AS (
    SELECT p.*, coalesce(x.gen, 0) AS parent_gen
    FROM _proc2 p ASOF LEFT JOIN _exits x ON x.pid = p.parent_pid AND p.start_t > x.t
)
SELECT p.pid || ':' || p.gen AS proc_id,
       p.pid, p.gen,
       CASE WHEN q.pid IS NOT NULL THEN q.pid || ':' || q.gen END AS parent_proc_id,
       p.parent_pid AS ppid,
       p.start_t, p.exit_t AS end_t,
       p.exit_code, p.exit_signal,
       p.fork_t IS NOT NULL AS forked_here,
       p.in_keyframe, p.exec_count, p.last_exec_t,
       p.comm, p.exe_path, p.argv, p.cwd, p.interpreter,
       p.exe_dev, p.exe_ino, p.exe_ctime, p.exe_mtime, p.exe_size, p.exe_mode,
       p.exe_upper_layer, p.exe_from_memfd, p.exe_writable,
       p.image_path IS NOT NULL AS image_known,
       NULL::VARCHAR AS image_from,
       p.uid, p.gid, p.euid, p.egid, p.loginuid,
       p.vpid, p.tty, p.sid,
       p.container_id, p.container_runtime, p.cgroup_id,
       p.pid_ns, p.mnt_ns, p.net_ns, p.user_ns
FROM pg p
LEFT JOIN (SELECT pid, gen FROM _proc2) q ON q.pid = p.parent_pid AND q.gen = p.parent_gen;

CREATE OR REPLACE TEMP TABLE _ref_tree AS
WITH RECURSIVE t(proc_id, pid, depth, tree_key, lineage, ancestor_ids) AS (
    SELECT proc_id, pid, 0, [start_t, pid::BIGINT], []::INTEGER[], []::VARCHAR[]
    FROM _ref_proc3 WHERE parent_proc_id IS NULL
    UNION ALL
    SELECT c.proc_id, c.pid, t.depth + 1,
           list_concat(t.tree_key, [c.start_t, c.pid::BIGINT]),
           list_prepend(t.pid, t.lineage),
           list_prepend(t.proc_id, t.ancestor_ids)
    FROM t JOIN _ref_proc3 c ON c.parent_proc_id = t.proc_id
)
SELECT * FROM t;

-- A child that never exec'd takes the image its parent had at the fork
-- (the child's start). Execs of the parent at or before the fork leave
-- its latest image; execs only after it leave the image it had before
-- them, the one it took at its own fork, so the walk goes up (unless
-- that image came from a keyframe, which shows only the latest); execs
-- both before and after leave it unknown. _ref_holder pairs each child
-- that may inherit with the instance whose settled image it takes.
CREATE OR REPLACE TEMP TABLE _ref_holder AS
WITH RECURSIVE e AS (
    SELECT p.proc_id, p.parent_proc_id, p.start_t, p.in_keyframe, x.first_exec_t, x.last_exec_t
    FROM _ref_proc3 p JOIN _proc2 x ON x.pid = p.pid AND x.gen = p.gen
), w(child, q, t, forks) AS (
    SELECT c.proc_id, c.parent_proc_id, c.start_t, 1
    FROM _ref_proc3 c JOIN _ref_tree USING (proc_id)
    WHERE NOT c.image_known AND c.parent_proc_id IS NOT NULL
    UNION ALL
    SELECT w.child, e.parent_proc_id, e.start_t, w.forks + 1
    FROM w JOIN e ON e.proc_id = w.q
    WHERE e.first_exec_t > w.t AND NOT e.in_keyframe AND e.parent_proc_id IS NOT NULL
      AND w.forks < 64
)
SELECT w.child, w.q AS holder
FROM w JOIN e ON e.proc_id = w.q
WHERE e.last_exec_t IS NULL OR e.last_exec_t <= w.t;

-- The child takes the holder's image when its own rows name the same
-- file, at most maxForkChain forks below where the image was taken
-- (repeated, so chains of forks inherit).
UPDATE _ref_proc3 AS c
SET exe_ctime = p.exe_ctime, exe_mtime = p.exe_mtime, exe_size = p.exe_size,
    exe_mode = p.exe_mode, exe_upper_layer = p.exe_upper_layer,
    exe_from_memfd = p.exe_from_memfd, exe_writable = p.exe_writable,
    argv = p.argv, cwd = p.cwd, interpreter = p.interpreter,
    image_known = true, image_from = coalesce(p.image_from, p.proc_id)
FROM _ref_holder AS h, _ref_proc3 AS p, _ref_tree AS ct, _ref_tree AS st
WHERE h.child = c.proc_id AND p.proc_id = h.holder AND NOT c.image_known AND p.image_known
  AND c.exe_dev IS NOT DISTINCT FROM p.exe_dev AND c.exe_ino IS NOT DISTINCT FROM p.exe_ino
  AND ct.proc_id = c.proc_id AND st.proc_id = coalesce(p.image_from, p.proc_id)
  AND ct.depth - st.depth <= 64;
