package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// todoList is the list, stored as a JSON array of strings in one file. Every
// change rewrites the file atomically (write a temporary file, then rename),
// so a crash leaves the old list or the new one, never half of either.
type todoList struct {
	path string
	mu   sync.Mutex
}

func (l *todoList) load() ([]string, error) {
	b, err := os.ReadFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return []string{}, nil
	}
	if err != nil {
		return nil, err
	}
	var items []string
	err = json.Unmarshal(b, &items)
	return items, err
}

func (l *todoList) save(items []string) error {
	b, err := json.MarshalIndent(items, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(l.path), ".todos-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), l.path)
}

// Items returns the list.
func (l *todoList) Items() ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.load()
}

// Add appends an item.
func (l *todoList) Add(item string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	items, err := l.load()
	if err != nil {
		return err
	}
	return l.save(append(items, item))
}

// Remove deletes the item at offset and reports whether there was one.
func (l *todoList) Remove(offset int) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	items, err := l.load()
	if err != nil || offset < 0 || offset >= len(items) {
		return false, err
	}
	return true, l.save(append(items[:offset], items[offset+1:]...))
}
