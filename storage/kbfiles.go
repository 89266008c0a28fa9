package storage

import (
	"encoding/json"
	"fmt"

	"github.com/firstline-desk/firstline/bot"
)

// What kb.dir imported (bot.Tx): one record per article id, written in the transaction that imports the
// file, so the record and the version it names never disagree.

func (t *tx) KBFiles() (map[string]bot.KBFile, error) {
	out := map[string]bot.KBFile{}
	err := t.bucket(bucketKBFiles).ForEach(func(k, v []byte) error {
		var f bot.KBFile
		if err := decode(v, &f, "kb file of "+string(k)); err != nil {
			return err
		}
		out[string(k)] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read kb files: %w", err)
	}
	return out, nil
}

func (t *tx) PutKBFile(f bot.KBFile) error {
	if f.ID == "" {
		return bot.Errorf(bot.EINVALID, "a kb file record needs an article id")
	}
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode kb file of %s: %w", f.ID, err)
	}
	if err := t.bucket(bucketKBFiles).Put([]byte(f.ID), data); err != nil {
		return fmt.Errorf("store kb file of %s: %w", f.ID, err)
	}
	return nil
}

func (t *tx) DeleteKBFile(id string) error {
	if err := t.bucket(bucketKBFiles).Delete([]byte(id)); err != nil {
		return fmt.Errorf("forget kb file of %s: %w", id, err)
	}
	return nil
}
