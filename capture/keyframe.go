package capture

import (
	"github.com/rewind-sh/rewind/format"
)

// keyframe is the writer's callback at each segment start: reconcile the
// table with /proc, then write it, the accounts and the hashes of the
// live executables.
func (r *Recorder) keyframe(emit func(*format.Event) error) error {
	now := r.cfg.ProcFS.Now().UnixNano()
	scan, err := r.cfg.ProcFS.Scan()
	if err != nil {
		r.warnf("scan", "/proc scan: %v (reported once)", err)
	}
	for i := range scan {
		if !scan[i].Null.Has(format.ColCgroupID) {
			r.cgroups.Learn(scan[i].CgroupID, scan[i].CgroupPath)
		}
		// Secrets in the argv of running processes are redacted like
		// those of new ones.
		r.cfg.Redact.Argv(scan[i].Argv)
		r.cfg.Redact.Env(scan[i].Env)
	}
	r.cgroups.Forget()
	if !r.loaded {
		r.table.Load(scan)
		r.loaded = true
	} else {
		r.table.Reconcile(scan)
	}
	rows := r.table.Rows(now)
	for i := range rows {
		if err := emit(&rows[i]); err != nil {
			return err
		}
		r.counters.AddKind(format.KindKeyframe)
	}
	accounts, err := r.cfg.Accounts.Rows(now)
	if err != nil {
		r.warnf("accounts", "%v (reported once)", err)
	}
	for i := range accounts {
		if err := emit(&accounts[i]); err != nil {
			return err
		}
		r.counters.AddKind(accounts[i].Kind)
	}
	clear(r.emitted)
	for i := range rows {
		row := &rows[i]
		if row.ExeIno == 0 || row.Null.Has(format.ColExeIno) {
			continue
		}
		id := identityOfExec(row)
		if r.emitted[id] {
			continue
		}
		if res, ok := r.hasher.Lookup(id); ok {
			res.Ts = now
			if err := r.emitHash(emit, cached(res)); err != nil {
				return err
			}
			continue
		}
		r.hasher.Submit(row.Pid, row.ExePath, id)
	}
	return nil
}

// cached marks a result repeated from the cache; a failure that was
// cached (a file over the size cap) keeps saying why.
func cached(res HashResult) *HashResult {
	if res.Sha256 != "" {
		res.Source = HashFromCache
	}
	return &res
}

func (r *Recorder) emitHash(emit func(*format.Event) error, res *HashResult) error {
	ev := res.Event()
	r.emitted[res.Identity] = true
	r.counters.AddKind(format.KindExeHash)
	return emit(&ev)
}
