package server

import (
	"bytes"
	"errors"
	"mime"

	"codeberg.org/go-pdf/fpdf"

	"github.com/amendcare/amend/server/store"
)

// signedPDF lays a signed form out as a PDF: the frozen text exactly as stored (title, form text,
// answers and signature), then the SHA-256 stored with it, so that a reader can check the copy
// against the record.
func signedPDF(f store.Form) ([]byte, error) {
	if f.Document == nil || f.SignedAt == nil {
		return nil, errors.New("signed copy of a form that is not signed")
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle(f.Title, true)
	pdf.SetCreator("Amend", true)
	pdf.SetCreationDate(*f.SignedAt)
	pdf.SetModificationDate(*f.SignedAt)
	pdf.SetMargins(20, 20, 20)
	pdf.SetAutoPageBreak(true, 20)
	pdf.AddPage()
	// The core fonts speak Windows-1252; the translator maps the text into it.
	text := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetFont("Helvetica", "", 11)
	pdf.MultiCell(0, 5.5, text(*f.Document), "", "L", false)
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "B", 9)
	pdf.MultiCell(0, 5, "SHA-256 of the signed text above:", "T", "L", false)
	pdf.SetFont("Courier", "", 9)
	pdf.MultiCell(0, 5, f.DocumentSHA256.String(), "", "L", false)
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// contentDisposition names a download; a name mime cannot write is left out.
func contentDisposition(filename string) string {
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": filename}); v != "" {
		return v
	}
	return "attachment"
}
