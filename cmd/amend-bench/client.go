package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// api is a small JSON client for Amend's REST API with one bearer token.
type api struct {
	base   string
	token  string
	client *http.Client
}

// apiError is an answer outside 2xx.
type apiError struct {
	Status int
	Code   string
	Body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Body) }

func (a *api) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+"/api/v1"+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	res, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		json.Unmarshal(data, &e)
		return &apiError{Status: res.StatusCode, Code: e.Error.Code, Body: string(data)}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (a *api) as(token string) *api {
	return &api{base: a.base, token: token, client: a.client}
}

type sessionBody struct {
	Token       string `json:"token"`
	Memberships []struct {
		PracticeID int64  `json:"practice_id"`
		Role       string `json:"role"`
	} `json:"memberships"`
}

func (a *api) login(ctx context.Context, email, password string) (sessionBody, error) {
	var s sessionBody
	err := a.call(ctx, http.MethodPost, "/auth/login", map[string]string{"email": email, "password": password}, &s)
	return s, err
}
