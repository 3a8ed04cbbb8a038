package main

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// modulePath is the core module, which holds this command.
const modulePath = "github.com/rampart-go/rampart"

// proxyVersion is the version the test proxy serves: a pseudo-version, as
// for an untagged commit.
const proxyVersion = "v0.0.0-20260101000000-000000000000"

// TestGoInstallFromAModuleProxy installs the command the way a user does,
// go install github.com/rampart-go/rampart/cmd/rampart@VERSION, from a
// file-based module proxy made from this working tree, into a fresh GOBIN
// and module cache, outside any module, and runs it once. It fails if the
// command cannot be installed: a replace directive, a dependency outside the
// core module, or a version that does not exist.
func TestGoInstallFromAModuleProxy(t *testing.T) {
	goCmd := tools(t, "go")[0]
	root := moduleRoot(t)
	proxy := t.TempDir()
	writeProxy(t, proxy, root)

	home := t.TempDir()
	gobin := filepath.Join(home, "bin")
	install := exec.Command(goCmd, "install", modulePath+"/cmd/rampart@"+proxyVersion)
	install.Dir = home // outside any module, as for a user
	install.Env = append(os.Environ(),
		"GOPROXY=file://"+filepath.ToSlash(proxy),
		"GOBIN="+gobin,
		"GOMODCACHE="+filepath.Join(home, "modcache"),
		"GOFLAGS=-modcacherw", // so that the temporary directory can be removed
		"GONOSUMDB="+modulePath,
		"GOSUMDB=off",
		"GOTOOLCHAIN=local",
		"GOWORK=off",
	)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, out)
	}

	var stdout, stderr bytes.Buffer
	help := exec.Command(filepath.Join(gobin, "rampart"), "help")
	help.Stdout, help.Stderr = &stdout, &stderr
	if err := help.Run(); err != nil {
		t.Fatalf("rampart help: %v\n%s", err, stderr.String())
	}
	if first, _, _ := strings.Cut(stderr.String(), "\n"); first != "usage: rampart COMMAND [flags]" {
		t.Errorf("rampart help: first line %q", first)
	}
}

// tools skips the test in -short mode (it builds the command) or when one
// of the named programs is not on PATH, and returns their paths.
func tools(t *testing.T, names ...string) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the command")
	}
	paths := make([]string, len(names))
	for i, name := range names {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Skipf("no %s on PATH", name)
		}
		paths[i] = p
	}
	return paths
}

// moduleRoot returns the directory of the core module's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module "+modulePath+"\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("core module's go.mod not found above the working directory")
		}
		dir = parent
	}
}

// writeProxy lays out a GOPROXY directory serving the module at root as
// proxyVersion: @v/list, .info, .mod and .zip.
func writeProxy(t *testing.T, proxy, root string) {
	t.Helper()
	dir := filepath.Join(proxy, filepath.FromSlash(modulePath), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"list":                 []byte(proxyVersion + "\n"),
		proxyVersion + ".info": []byte(`{"Version":"` + proxyVersion + `","Time":"2026-01-01T00:00:00Z"}`),
		proxyVersion + ".mod":  gomod,
		proxyVersion + ".zip":  moduleZip(t, root),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// moduleZip returns the module zip of the tree at root, following the
// module zip rules: every file under the prefix module@version/, nested
// modules (folders with their own go.mod), vendor folders and version
// control data left out. Hidden files and folders are left out too; none
// belongs to a build.
func moduleZip(t *testing.T, root string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	prefix := modulePath + "@" + proxyVersion + "/"
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "vendor" {
				return fs.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return fs.SkipDir // a module of its own
			}
			return nil
		}
		if !d.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".test") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w, err := zw.Create(path.Join(prefix, rel))
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
