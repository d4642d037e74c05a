package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// PlanContent is what a treatment plan says: the problems the couple brought, the goals with
// their measurable objectives and the interventions toward them, and when the plan is reviewed.
// Dates are written YYYY-MM-DD.
type PlanContent struct {
	Problems []string   `json:"problems" validate:"max=20,dive,required,max=2000"`
	Goals    []PlanGoal `json:"goals" validate:"max=20,dive"`
	// ReviewOn is when the plan is next reviewed with the couple.
	ReviewOn *string `json:"review_on" validate:"omitempty,datetime=2006-01-02"`
	// ReviewedWithCoupleOn is when the therapist went through this version with the couple.
	ReviewedWithCoupleOn *string `json:"reviewed_with_couple_on" validate:"omitempty,datetime=2006-01-02"`
}

// PlanGoal is one goal of a treatment plan.
type PlanGoal struct {
	Text          string          `json:"text" validate:"required,max=2000"`
	TargetOn      *string         `json:"target_on" validate:"omitempty,datetime=2006-01-02"`
	Objectives    []PlanObjective `json:"objectives" validate:"max=20,dive"`
	Interventions []string        `json:"interventions" validate:"max=20,dive,required,max=2000"`
}

// PlanObjective is a measurable step toward a goal: what will be seen, how it is measured, by when.
type PlanObjective struct {
	Text     string  `json:"text" validate:"required,max=2000"`
	Measure  string  `json:"measure" validate:"max=500"`
	TargetOn *string `json:"target_on" validate:"omitempty,datetime=2006-01-02"`
}

// Value stores the content as jsonb, sent as text (see Open).
func (p PlanContent) Value() (driver.Value, error) {
	data, err := json.Marshal(p)
	return string(data), err
}

// Scan reads the content from jsonb.
func (p *PlanContent) Scan(src any) error {
	data, ok := src.([]byte)
	if !ok {
		return fmt.Errorf("plan content: cannot scan %T", src)
	}
	return json.Unmarshal(data, p)
}

// Plan statuses.
const (
	PlanDraft  = "draft"
	PlanSigned = "signed"
)

// Plan is one version of a couple's treatment plan. A signed version is locked; a revision is a
// new version.
type Plan struct {
	ID        int64       `db:"id" json:"id"`
	CoupleID  int64       `db:"couple_id" json:"couple_id"`
	Version   int         `db:"version" json:"version"`
	Status    string      `db:"status" json:"status"`
	Content   PlanContent `db:"content" json:"content"`
	CreatedBy int64       `db:"created_by" json:"created_by"`
	SignedBy  *int64      `db:"signed_by" json:"signed_by"`
	SignedAt  *time.Time  `db:"signed_at" json:"signed_at"`
	// Current is set on the newest signed version, the one the couple reads and acknowledges.
	Current          bool                  `db:"current" json:"current"`
	Acknowledgements []PlanAcknowledgement `db:"-" json:"acknowledgements"`
	CreatedAt        time.Time             `db:"created_at" json:"created_at"`
	UpdatedAt        time.Time             `db:"updated_at" json:"updated_at"`
	// Relation is how the reader stands to the plan, for filtering lists.
	Relation string `db:"relation" json:"-"`
}

// PlanAcknowledgement is a partner's acknowledgement of a signed version.
type PlanAcknowledgement struct {
	PlanID         int64     `db:"plan_id" json:"-"`
	UserID         int64     `db:"user_id" json:"user_id"`
	AcknowledgedAt time.Time `db:"acknowledged_at" json:"acknowledged_at"`
}

// currentPlan is the SQL condition that plan t is its couple's newest signed version.
const currentPlan = `t.signed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM treatment_plans later
	WHERE later.couple_id = t.couple_id AND later.signed_at IS NOT NULL AND later.version > t.version)`

const planColumns = `t.id, t.couple_id, t.version, CASE WHEN t.signed_at IS NULL THEN 'draft' ELSE 'signed' END AS status,
	t.content, t.created_by, t.signed_by, t.signed_at, (` + currentPlan + `) AS current, t.created_at, t.updated_at`

// planRelation is the SQL expression for the caller's relation to treatment plan t: the care team
// stands to every version; a partner of the couple only to the current signed one, every draft
// and earlier version being hidden from them.
func planRelation() string {
	return fmt.Sprintf(`CASE
		WHEN %[1]s THEN 'care_team'
		WHEN EXISTS (SELECT 1 FROM couple_partners cp WHERE cp.couple_id = t.couple_id AND cp.user_id = :user)
		     THEN CASE WHEN %[2]s THEN 'couple' ELSE 'hidden' END
		ELSE 'practice' END`, onCareTeam(`t.couple_id`), currentPlan)
}

var (
	errPlanSigned     = fault.ConflictBecause("this version of the plan is signed and never changes; start a new version to revise it")
	errPlanDraftOpen  = fault.ConflictBecause("this couple's plan has a draft already; change or sign that draft")
	errPlanNotCurrent = fault.ConflictBecause("only the current signed version of the plan is acknowledged")
)

// CreatePlanDraft starts the next version of a couple's plan as a draft. A couple has at most one
// draft at a time.
func (s *Store) CreatePlanDraft(ctx context.Context, practiceID, coupleID, authorID int64, content PlanContent) (Plan, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The couple's row lock orders concurrent drafts, so versions never collide.
		var draft bool
		if err := tx.GetContext(ctx, &draft, `SELECT EXISTS (SELECT 1 FROM treatment_plans t WHERE t.couple_id = c.id AND t.signed_at IS NULL)
			FROM couples c WHERE c.id = $1 AND c.practice_id = $2 FOR UPDATE OF c`, coupleID, practiceID); err != nil {
			return err
		}
		if draft {
			return errPlanDraftOpen
		}
		return tx.GetContext(ctx, &id, `INSERT INTO treatment_plans (couple_id, version, content, created_by)
			SELECT $1, coalesce(max(version), 0) + 1, $2::jsonb, $3 FROM treatment_plans WHERE couple_id = $1
			RETURNING id`, coupleID, content, authorID)
	})
	if err != nil {
		return Plan{}, err
	}
	return s.PlanByID(ctx, practiceID, id)
}

// PlanByID returns one version of a plan of the practice with its acknowledgements.
func (s *Store) PlanByID(ctx context.Context, practiceID, id int64) (Plan, error) {
	var p Plan
	if err := s.db.GetContext(ctx, &p, `SELECT `+planColumns+`, '' AS relation
		FROM treatment_plans t JOIN couples c ON c.id = t.couple_id WHERE t.id = $1 AND c.practice_id = $2`, id, practiceID); err != nil {
		return p, pgerr.Map(err)
	}
	p.Acknowledgements = []PlanAcknowledgement{}
	err := s.db.SelectContext(ctx, &p.Acknowledgements, `SELECT plan_id, user_id, acknowledged_at
		FROM treatment_plan_acknowledgements WHERE plan_id = $1 ORDER BY acknowledged_at, user_id`, id)
	return p, pgerr.Map(err)
}

// Plans lists every version of a couple's plan, newest first, each with its acknowledgements and
// the reader's relation to it.
func (s *Store) Plans(ctx context.Context, practiceID, coupleID, readerID int64) ([]Plan, error) {
	out := []Plan{}
	if err := s.selectNamed(ctx, &out, `SELECT `+planColumns+`, `+planRelation()+` AS relation
		FROM treatment_plans t JOIN couples c ON c.id = t.couple_id
		WHERE t.couple_id = :couple AND c.practice_id = :practice
		ORDER BY t.version DESC`,
		map[string]any{"couple": coupleID, "practice": practiceID, "user": readerID}); err != nil {
		return nil, err
	}
	var acks []PlanAcknowledgement
	if err := s.db.SelectContext(ctx, &acks, `SELECT a.plan_id, a.user_id, a.acknowledged_at
		FROM treatment_plan_acknowledgements a JOIN treatment_plans t ON t.id = a.plan_id
		WHERE t.couple_id = $1 ORDER BY a.acknowledged_at, a.user_id`, coupleID); err != nil {
		return nil, pgerr.Map(err)
	}
	for i := range out {
		out[i].Acknowledgements = []PlanAcknowledgement{}
		for _, a := range acks {
			if a.PlanID == out[i].ID {
				out[i].Acknowledgements = append(out[i].Acknowledgements, a)
			}
		}
	}
	return out, nil
}

// UpdatePlanDraft replaces a draft's content. A signed version is a conflict.
func (s *Store) UpdatePlanDraft(ctx context.Context, practiceID, id int64, content PlanContent) (Plan, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockPlanDraft(ctx, tx, practiceID, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE treatment_plans SET content = $2::jsonb, updated_at = now() WHERE id = $1`, id, content)
		return err
	})
	if err != nil {
		return Plan{}, err
	}
	return s.PlanByID(ctx, practiceID, id)
}

// SignPlan signs and locks a draft after ready approves its content. A signed version is a conflict.
func (s *Store) SignPlan(ctx context.Context, practiceID, id, signerID int64, ready func(PlanContent) error) (Plan, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockPlanDraft(ctx, tx, practiceID, id); err != nil {
			return err
		}
		var content PlanContent
		if err := tx.GetContext(ctx, &content, `SELECT content FROM treatment_plans WHERE id = $1`, id); err != nil {
			return err
		}
		if err := ready(content); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE treatment_plans SET signed_by = $2, signed_at = now(), updated_at = now() WHERE id = $1`, id, signerID)
		return err
	})
	if err != nil {
		return Plan{}, err
	}
	return s.PlanByID(ctx, practiceID, id)
}

// lockPlanDraft locks a version of a plan of the practice for a change, refusing signed ones.
func lockPlanDraft(ctx context.Context, tx *sqlx.Tx, practiceID, id int64) error {
	var signedAt *time.Time
	if err := tx.GetContext(ctx, &signedAt, `SELECT t.signed_at FROM treatment_plans t JOIN couples c ON c.id = t.couple_id
		WHERE t.id = $1 AND c.practice_id = $2 FOR UPDATE OF t`, id, practiceID); err != nil {
		return err
	}
	if signedAt != nil {
		return errPlanSigned
	}
	return nil
}

// AcknowledgePlan records that a partner of the couple has read the current signed version; a
// second acknowledgement keeps the first one's time.
func (s *Store) AcknowledgePlan(ctx context.Context, practiceID, id, userID int64) (Plan, error) {
	var current bool
	err := s.db.GetContext(ctx, &current, `SELECT `+currentPlan+` FROM treatment_plans t JOIN couples c ON c.id = t.couple_id
		WHERE t.id = $1 AND c.practice_id = $2`, id, practiceID)
	if err != nil {
		return Plan{}, pgerr.Map(err)
	}
	if !current {
		return Plan{}, errPlanNotCurrent
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO treatment_plan_acknowledgements (plan_id, user_id)
		SELECT $1, cp.user_id FROM couple_partners cp JOIN treatment_plans t ON t.couple_id = cp.couple_id
		WHERE t.id = $1 AND cp.user_id = $2
		ON CONFLICT (plan_id, user_id) DO NOTHING`, id, userID); err != nil {
		return Plan{}, pgerr.Map(err)
	}
	return s.PlanByID(ctx, practiceID, id)
}
