package netlab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// A Process is a program started by Host.Start and tracked by its Lab.
// Its PID is the program's own: "ip netns exec" and "sh -c '... && exec
// prog'" both exec, they do not fork.
type Process struct {
	// Label names the process in logs and log file names.
	Label string
	// Stdout and Stderr are the paths of the files the process's standard
	// output and standard error go to.
	Stdout, Stderr string

	cmd   *exec.Cmd
	grace time.Duration
	done  chan struct{}
	err   error
}

// Start runs name with args in the host's namespace as a tracked
// process. Its standard output and standard error go to
// "<label>.stdout" and "<label>.stderr" in the host's state directory (a
// numeric suffix is added to label if taken). $STATE_DIRECTORY names the
// host's state directory. When ctx is done, or the lab
// is closed, the process gets SIGTERM, then SIGKILL after the grace period.
func (h *Host) Start(ctx context.Context, label, name string, args ...string) (*Process, error) {
	l := h.lab
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	base := label
	for i := 2; ; i++ {
		if _, err := os.Stat(filepath.Join(h.dir, label+".stdout")); errors.Is(err, os.ErrNotExist) {
			break
		}
		label = fmt.Sprintf("%s-%d", base, i)
	}
	p := &Process{
		Label:  label,
		Stdout: filepath.Join(h.dir, label+".stdout"),
		Stderr: filepath.Join(h.dir, label+".stderr"),
		grace:  l.grace,
		done:   make(chan struct{}),
	}
	stdout, err := os.Create(p.Stdout)
	if err != nil {
		return nil, fmt.Errorf("netlab: %w", err)
	}
	defer stdout.Close()
	stderr, err := os.Create(p.Stderr)
	if err != nil {
		return nil, fmt.Errorf("netlab: %w", err)
	}
	defer stderr.Close()

	p.cmd = exec.Command("ip", append([]string{"netns", "exec", h.Namespace, name}, args...)...)
	p.cmd.Stdout = stdout
	p.cmd.Stderr = stderr
	// State goes to the host's state directory (systemd's convention,
	// which ralab serve follows), never to the machine's /var/lib.
	p.cmd.Env = append(os.Environ(), "STATE_DIRECTORY="+h.dir)
	// Its own process group: a Ctrl-C on the terminal reaches only ralab,
	// which then stops the lab's processes in order.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("netlab: start %s: %w", label, err)
	}
	l.procs = append(l.procs, p)
	l.log.Debug("process started", "host", h.Name, "label", label, "pid", p.cmd.Process.Pid, "cmd", name)
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = p.Stop()
		case <-p.done:
		}
	}()
	return p, nil
}

// PID returns the process ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done returns a channel that is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err returns the process's exit error (nil for exit status 0) once it has
// exited, and nil before.
func (p *Process) Err() error {
	if !p.Exited() {
		return nil
	}
	return p.err
}

// Wait waits until the process exits or ctx is done, and returns the exit
// error or ctx's error.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Signal sends sig to the process if it is still running.
func (p *Process) Signal(sig os.Signal) error {
	if p.Exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("netlab: signal %s: %w", p.Label, err)
	}
	return nil
}

// Stop sends SIGTERM, waits up to the grace period, then sends SIGKILL
// and waits for the exit. It returns the exit error only when the process
// had to be killed.
func (p *Process) Stop() error {
	return p.stop(syscall.SIGTERM, p.grace)
}

// stop sends sig, then SIGKILL after grace.
func (p *Process) stop(sig os.Signal, grace time.Duration) error {
	if p.Exited() {
		return nil
	}
	_ = p.Signal(sig)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return fmt.Errorf("netlab: %s did not exit %v after %v: killed", p.Label, sig, grace)
}

// signalPID sends SIGTERM, or SIGKILL if kill, to pid.
func signalPID(pid int, kill bool) error {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	return syscall.Kill(pid, sig)
}
