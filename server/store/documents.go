package store

import (
	"context"
	"crypto/sha256"
	"time"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// Document is a file added to a couple's record: a PDF or an image. Content is read only when the
// file itself is asked for.
type Document struct {
	ID          int64        `db:"id" json:"id"`
	CoupleID    int64        `db:"couple_id" json:"couple_id"`
	AuthorID    int64        `db:"author_id" json:"author_id"`
	Name        string       `db:"name" json:"name"`
	ContentType string       `db:"content_type" json:"content_type"`
	Size        int64        `db:"size" json:"size"`
	SHA256      DocumentHash `db:"sha256" json:"sha256"`
	Visibility  string       `db:"visibility" json:"visibility"`
	CreatedAt   time.Time    `db:"created_at" json:"created_at"`
	// Relation is how the reader stands to the document, for filtering lists.
	Relation string `db:"relation" json:"-"`
}

// NewDocument is a file to add to a couple's record; its content type was read from its bytes.
type NewDocument struct {
	PracticeID  int64
	CoupleID    int64
	AuthorID    int64
	Name        string
	ContentType string
	Content     []byte
	Visibility  string
}

const documentColumns = `d.id, d.couple_id, d.author_id, d.name, d.content_type, d.size, d.sha256, d.visibility, d.created_at`

// CreateDocument stores a file in a couple's record of the practice, with its SHA-256.
func (s *Store) CreateDocument(ctx context.Context, in NewDocument) (Document, error) {
	sum := sha256.Sum256(in.Content)
	var d Document
	err := s.db.GetContext(ctx, &d, `
		INSERT INTO documents AS d (couple_id, author_id, name, content_type, size, sha256, content, visibility)
		SELECT c.id, $3, $4, $5, $6, $7, $8, $9 FROM couples c WHERE c.id = $2 AND c.practice_id = $1
		RETURNING `+documentColumns+`, '' AS relation`,
		in.PracticeID, in.CoupleID, in.AuthorID, in.Name, in.ContentType, len(in.Content), sum[:], in.Content, in.Visibility)
	return d, pgerr.Map(err)
}

// Documents lists a couple's documents, newest first, each with the reader's relation to it.
func (s *Store) Documents(ctx context.Context, practiceID, coupleID, readerID int64) ([]Document, error) {
	out := []Document{}
	err := s.selectNamed(ctx, &out, `SELECT `+documentColumns+`, `+authoredRelation(`d.author_id`, `d.visibility`, `d.couple_id`)+` AS relation
		FROM documents d JOIN couples c ON c.id = d.couple_id
		WHERE d.couple_id = :couple AND c.practice_id = :practice
		ORDER BY d.created_at DESC, d.id DESC`,
		map[string]any{"couple": coupleID, "practice": practiceID, "user": readerID})
	return out, err
}

// DocumentByID returns one document of the practice, without its content.
func (s *Store) DocumentByID(ctx context.Context, practiceID, id int64) (Document, error) {
	var d Document
	err := s.db.GetContext(ctx, &d, `SELECT `+documentColumns+`, '' AS relation
		FROM documents d JOIN couples c ON c.id = d.couple_id WHERE d.id = $1 AND c.practice_id = $2`, id, practiceID)
	return d, pgerr.Map(err)
}

// DocumentContent returns the bytes of one document of the practice.
func (s *Store) DocumentContent(ctx context.Context, practiceID, id int64) ([]byte, error) {
	var content []byte
	err := s.db.GetContext(ctx, &content, `SELECT d.content
		FROM documents d JOIN couples c ON c.id = d.couple_id WHERE d.id = $1 AND c.practice_id = $2`, id, practiceID)
	return content, pgerr.Map(err)
}

// SetDocumentVisibility changes who may read a document of the practice and returns it with the
// visibility it had before.
func (s *Store) SetDocumentVisibility(ctx context.Context, practiceID, id int64, visibility string) (updated Document, previous string, err error) {
	if previous, err = s.setCoupleItemVisibility(ctx, "documents", practiceID, id, visibility); err != nil {
		return Document{}, "", err
	}
	updated, err = s.DocumentByID(ctx, practiceID, id)
	return updated, previous, err
}

// DeleteDocument removes a document of the practice, its bytes with it.
func (s *Store) DeleteDocument(ctx context.Context, practiceID, id int64) error {
	res, err := s.db.ExecContext(ctx, `
		DELETE FROM documents d USING couples c WHERE d.id = $1 AND c.id = d.couple_id AND c.practice_id = $2`, id, practiceID)
	if err != nil {
		return pgerr.Map(err)
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = fault.ErrNotFound
	}
	return err
}
