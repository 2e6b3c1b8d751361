-- Which processes ran, and which process started which?
--
-- Every process instance (a pid from its fork or first sighting to its
-- exit; a reused pid is a new instance) in depth-first order, children
-- by start time, with its executable, hash, user and container. Depth
-- counts from the top of the recorded tree.
--
-- @param pid INTEGER optional Only this process and its descendants.
-- @param at TIME optional Only processes alive at this time.
SELECT proc_id, parent_proc_id, depth, pid, ppid,
       start_ts, end_ts, exit_code,
       exe_path, sha256, user_name, euser_name, container_id, argv
FROM processes
WHERE ($pid IS NULL OR pid = $pid OR list_contains(lineage, $pid))
  AND ($at IS NULL OR (start_t <= $at AND (end_t IS NULL OR end_t > $at)))
ORDER BY tree_key, proc_id;
