package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Data is what data.json holds: the items still to do, and those done.
type Data struct {
	Items []string `json:"items"`
	Done  []string `json:"done"`
}

// todoList keeps Data in one JSON file. Every change rewrites the file
// atomically (write a temporary file, then rename it over the old one), so
// a crash leaves the old list or the new one, never half of either. The
// mutex serializes the read-modify-write of concurrent requests.
type todoList struct {
	path string
	mu   sync.Mutex
}

// Load returns the list; a missing file is an empty list.
func (l *todoList) Load() (Data, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.load()
}

func (l *todoList) load() (Data, error) {
	var d Data
	b, err := os.ReadFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	err = json.Unmarshal(b, &d)
	return d, err
}

func (l *todoList) save(d Data) error {
	if d.Items == nil {
		d.Items = []string{}
	}
	if d.Done == nil {
		d.Done = []string{}
	}
	b, err := json.MarshalIndent(d, "", "    ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(l.path), ".data-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), l.path)
}

// Add appends an item.
func (l *todoList) Add(item string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, err := l.load()
	if err != nil {
		return err
	}
	d.Items = append(d.Items, item)
	return l.save(d)
}

// Done moves the item at offset to the done list and reports whether there
// was one.
func (l *todoList) Done(offset int) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, err := l.load()
	if err != nil || offset < 0 || offset >= len(d.Items) {
		return false, err
	}
	d.Done = append(d.Done, d.Items[offset])
	d.Items = append(d.Items[:offset], d.Items[offset+1:]...)
	return true, l.save(d)
}
