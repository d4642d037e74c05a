-- +goose Up
-- The exercise library: the built-in trust-repair steps (practice_id NULL) and exercises a practice
-- writes itself. An exercise's content lives in immutable versions; editing adds a version, and an
-- assignment keeps the version it was given.
CREATE TABLE exercises (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id      bigint REFERENCES practices(id) ON DELETE CASCADE,
    builtin_key      text UNIQUE,
    step             int CHECK (step BETWEEN 1 AND 99),
    current_version  int NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    created_by       bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT exercises_builtin_or_practice CHECK ((practice_id IS NULL) = (builtin_key IS NOT NULL))
);
CREATE INDEX exercises_practice_idx ON exercises (practice_id);

CREATE TABLE exercise_versions (
    exercise_id         bigint NOT NULL REFERENCES exercises(id) ON DELETE CASCADE,
    version             int NOT NULL CHECK (version >= 1),
    title               text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary             text NOT NULL DEFAULT '' CHECK (length(summary) <= 4000),
    who                 text NOT NULL CHECK (who IN ('offender', 'hurt', 'both_together', 'each_separately')),
    default_visibility  text NOT NULL CHECK (default_visibility IN ('private', 'therapist', 'partner')),
    fields              jsonb NOT NULL CHECK (jsonb_typeof(fields) = 'array'),
    created_by          bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (exercise_id, version)
);

-- +goose StatementBegin
CREATE FUNCTION exercise_versions_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'exercise versions never change; add a new version instead';
END;
$$;
-- +goose StatementEnd
-- The content is fixed; created_by may still be cleared when its author's account is deleted.
CREATE TRIGGER exercise_versions_immutable
    BEFORE UPDATE OF exercise_id, version, title, summary, who, default_visibility, fields ON exercise_versions
    FOR EACH ROW EXECUTE FUNCTION exercise_versions_are_immutable();

-- The built-in steps, as server/library/steps.json holds them (a store test checks they match).
-- Changing a built-in later takes a new migration that adds a version.
-- +goose StatementBegin
WITH steps AS (
    SELECT value AS step FROM jsonb_array_elements($steps$
[
  {
    "key": "apology",
    "step": 1,
    "title": "Saying sorry",
    "summary": "A real apology owns what happened and what it cost your partner, and leaves the reasons for another day. Take the time you need; this is written for them, not to get past a hard moment quickly.",
    "who": "offender",
    "default_visibility": "therapist",
    "fields": [
      {
        "key": "what_happened",
        "kind": "long_text",
        "label": "What you did, in plain words",
        "help": "Say it simply and without softening it. You do not need to explain it here.",
        "required": true
      },
      {
        "key": "effect_on_partner",
        "kind": "long_text",
        "label": "How it has affected your partner",
        "help": "Think about what it took from them: their sense of safety, their sleep, their confidence in you or in their own judgement. Include what they have told you and what you have seen for yourself.",
        "required": true
      },
      {
        "key": "what_will_change",
        "kind": "long_text",
        "label": "What you will do differently from now on",
        "help": "Promise only what you can keep, and make it concrete enough that your partner could notice it.",
        "required": true
      },
      {
        "key": "apology",
        "kind": "long_text",
        "label": "Your apology",
        "help": "Bring the parts above together in your own voice. Leave out the reasons and the 'but's for now, and keep the focus on your partner rather than on how hard this is for you.",
        "required": true
      },
      {
        "key": "read_back",
        "kind": "checklist",
        "label": "Read your apology back slowly. Tick each statement that is true of it.",
        "help": "Anything you cannot tick yet is worth another look before you share it.",
        "required": false,
        "options": [
          "It does not explain or justify what I did",
          "It does not tell my partner how they should feel",
          "It does not weigh my actions against theirs",
          "It says sorry without any conditions",
          "I mean every word of it"
        ]
      }
    ]
  },
  {
    "key": "apology_plan",
    "step": 2,
    "title": "Preparing to apologise",
    "summary": "Apologising asks you to be vulnerable, and nerves can make the words disappear. Planning what you want to say, and practising it out loud, helps you say what you truly mean when the moment comes.",
    "who": "offender",
    "default_visibility": "private",
    "fields": [
      {
        "key": "key_points",
        "kind": "list",
        "label": "The things you most want your partner to hear",
        "help": "One point per line. These are the parts you do not want to lose if you get nervous.",
        "required": true,
        "min": 1,
        "max": 10
      },
      {
        "key": "feelings_beforehand",
        "kind": "checklist",
        "label": "What do you notice in yourself when you picture apologising?",
        "required": false,
        "options": [
          "Nervous",
          "Ashamed",
          "Afraid of how my partner will react",
          "Tempted to explain myself",
          "Unsure where to begin",
          "Ready"
        ]
      },
      {
        "key": "rehearsal_notes",
        "kind": "long_text",
        "label": "After practising out loud: what did you notice?",
        "help": "Did you drift into explaining or defending yourself? Did any part sound like what you think your partner wants to hear rather than what you mean? Change it until every word is honest.",
        "required": true
      },
      {
        "key": "readiness",
        "kind": "scale",
        "label": "How ready do you feel to apologise sincerely?",
        "help": "0 means not ready at all and 10 means ready now. There is no right number.",
        "required": true,
        "min": 0,
        "max": 10
      },
      {
        "key": "timing",
        "kind": "short_text",
        "label": "When and where might work, if your partner is willing?",
        "help": "Offer, don't insist. Your partner decides when they are ready to listen.",
        "required": false
      }
    ]
  },
  {
    "key": "being_specific",
    "step": 3,
    "title": "Naming exactly what happened",
    "summary": "Vague words leave your partner filling in the gaps alone. Setting out clearly what happened and what it changed shows that you understand it, and opens the door to their questions.",
    "who": "offender",
    "default_visibility": "therapist",
    "fields": [
      {
        "key": "facts",
        "kind": "long_text",
        "label": "What happened, as clearly as you can tell it",
        "help": "Stay with the facts: what you did, when, and for how long. Honesty here matters more than finding the perfect words.",
        "required": true
      },
      {
        "key": "moments",
        "kind": "list",
        "label": "The key moments, in the order they happened",
        "help": "One moment per line.",
        "required": false,
        "max": 30
      },
      {
        "key": "impact",
        "kind": "long_text",
        "label": "What it has changed for your partner and for the two of you",
        "required": true
      },
      {
        "key": "making_it_right",
        "kind": "long_text",
        "label": "How you intend to set things right",
        "required": true
      },
      {
        "key": "openness_to_questions",
        "kind": "scale",
        "label": "How open do you feel to your partner's questions right now?",
        "help": "0 means not open at all and 10 means completely open. Your counselor can help with whatever makes this hard.",
        "required": true,
        "min": 0,
        "max": 10
      }
    ]
  },
  {
    "key": "counseling",
    "step": 4,
    "title": "Starting counseling",
    "summary": "Working with a counselor gives you both a steady place to talk about what happened and to learn new ways through conflict. Each of you answers on your own, so your counselor hears both voices.",
    "who": "each_separately",
    "default_visibility": "therapist",
    "fields": [
      {
        "key": "hopes",
        "kind": "long_text",
        "label": "What you hope counseling can help with",
        "required": true
      },
      {
        "key": "goals",
        "kind": "list",
        "label": "Up to five goals for your work together",
        "help": "One goal per line. They can be small, and they can change as you go.",
        "required": true,
        "min": 1,
        "max": 5
      },
      {
        "key": "first_topics",
        "kind": "checklist",
        "label": "What would you like to talk about first?",
        "required": false,
        "options": [
          "What happened",
          "How we talk to each other",
          "How we handle arguments",
          "Feeling close again",
          "Whether and how we go on together",
          "Looking after ourselves through this"
        ]
      },
      {
        "key": "worries",
        "kind": "long_text",
        "label": "Anything that worries you about counseling",
        "help": "Many people feel uneasy at the start. Naming it helps your counselor make the space feel safer.",
        "required": false
      },
      {
        "key": "safety_in_sessions",
        "kind": "scale",
        "label": "How safe do you expect to feel speaking openly in sessions?",
        "help": "0 means not safe at all and 10 means completely safe.",
        "required": true,
        "min": 0,
        "max": 10
      }
    ]
  },
  {
    "key": "considering_reasons",
    "step": 5,
    "title": "Thinking about why",
    "summary": "Understanding what led to the broken trust does not make it acceptable. When you feel able to, looking at the reasons can help each of you see more clearly and decide what comes next.",
    "who": "each_separately",
    "default_visibility": "therapist",
    "fields": [
      {
        "key": "readiness",
        "kind": "scale",
        "label": "How ready do you feel to think about why this happened?",
        "help": "0 means not ready and 10 means fully ready. If your answer is low, it is fine to stop here and come back later.",
        "required": true,
        "min": 0,
        "max": 10
      },
      {
        "key": "understanding",
        "kind": "long_text",
        "label": "What you understand so far about why it happened",
        "required": true
      },
      {
        "key": "possible_factors",
        "kind": "checklist",
        "label": "Things that may have played a part",
        "help": "Tick any that seem to fit. None of them is an excuse.",
        "required": false,
        "options": [
          "Avoiding a difficult conversation",
          "Fear of how the other would react",
          "Trying to protect someone",
          "Stress or exhaustion",
          "Feeling unseen or alone",
          "A misunderstanding",
          "Habits from earlier in life",
          "I cannot find a reason"
        ]
      },
      {
        "key": "still_not_okay",
        "kind": "long_text",
        "label": "What remains not okay, whatever the reasons",
        "help": "Understanding and accepting are different things. Write down what still stands.",
        "required": true
      },
      {
        "key": "what_it_means",
        "kind": "long_text",
        "label": "What this understanding means for you as you think about what comes next",
        "help": "It is also fine if no reason makes sense to you. Trust what you feel.",
        "required": false
      }
    ]
  },
  {
    "key": "open_communication",
    "step": 6,
    "title": "The questions you need answered",
    "summary": "You have every right to ask what you need to know. Writing your questions down lets you choose, with your counselor's help, when and how to ask them, and to say what you need from here.",
    "who": "hurt",
    "default_visibility": "therapist",
    "fields": [
      {
        "key": "questions",
        "kind": "list",
        "label": "The questions you want answered",
        "help": "One question per line. Nothing is off limits here.",
        "required": true,
        "min": 1,
        "max": 30
      },
      {
        "key": "how_it_felt",
        "kind": "long_text",
        "label": "How this has been for you",
        "required": true
      },
      {
        "key": "needs",
        "kind": "long_text",
        "label": "What you need from your partner now",
        "required": false
      },
      {
        "key": "how_to_talk",
        "kind": "checklist",
        "label": "How would you like these conversations to happen?",
        "required": false,
        "options": [
          "In a counseling session",
          "At home, at a time we agree on",
          "In writing first",
          "With a pause whenever either of us asks for one"
        ]
      },
      {
        "key": "daily_talk",
        "kind": "short_text",
        "label": "One small daily habit that would keep you both talking",
        "help": "It does not have to be about what happened. Everyday conversation matters too.",
        "required": false
      }
    ]
  },
  {
    "key": "forgiveness",
    "step": 7,
    "title": "A reflection on forgiveness",
    "summary": "Forgiving does not mean that what happened was all right, and it cannot be hurried. This reflection is a place to notice where you are today, including any blame you may be carrying yourself.",
    "who": "hurt",
    "default_visibility": "private",
    "fields": [
      {
        "key": "where_you_are",
        "kind": "scale",
        "label": "Where are you with forgiveness today?",
        "help": "0 means nowhere near it and 10 means you have forgiven. Anywhere on this line is a fair place to be.",
        "required": true,
        "min": 0,
        "max": 10
      },
      {
        "key": "what_it_would_mean",
        "kind": "long_text",
        "label": "What forgiving would mean for you, and what it would not mean",
        "required": true
      },
      {
        "key": "hard_to_release",
        "kind": "long_text",
        "label": "What feels hardest to let go of",
        "required": false
      },
      {
        "key": "self_blame",
        "kind": "long_text",
        "label": "Is there anything you have been blaming yourself for?",
        "help": "People who were hurt often turn the blame inward. Write what you are carrying, and what you would say to a friend who carried the same.",
        "required": false
      },
      {
        "key": "small_step",
        "kind": "short_text",
        "label": "One small step towards letting go, if you would like one",
        "required": false
      }
    ]
  },
  {
    "key": "commitment",
    "step": 8,
    "title": "Our commitments",
    "summary": "Rebuilding trust takes both of you choosing it, again and again. Agree together on concrete commitments you can each keep, and on how you will notice when they are kept.",
    "who": "both_together",
    "default_visibility": "partner",
    "fields": [
      {
        "key": "commitments",
        "kind": "list",
        "label": "What each of you commits to",
        "help": "Make each one specific and checkable: who does what, and how often. 'I will let you know when my plans change' is easier to keep, and to see kept, than 'I will be more honest'.",
        "required": true,
        "min": 1,
        "max": 10
      },
      {
        "key": "checking_in",
        "kind": "long_text",
        "label": "How you will check in on these together",
        "required": true
      },
      {
        "key": "after_a_slip",
        "kind": "long_text",
        "label": "What you will do if one of you slips",
        "help": "Agreeing on this now, while things are calm, makes a hard moment easier to get through.",
        "required": true
      },
      {
        "key": "confidence",
        "kind": "scale",
        "label": "How confident do you feel about keeping these commitments?",
        "help": "0 means not confident at all and 10 means completely confident.",
        "required": false,
        "min": 0,
        "max": 10
      },
      {
        "key": "review_date",
        "kind": "short_text",
        "label": "When you will look at these again",
        "required": false
      }
    ]
  },
  {
    "key": "accepting_repair",
    "step": 9,
    "title": "Letting repair in",
    "summary": "Once you have chosen to try again, the things your partner does to make amends can become part of your healing and of good days shared again. Noticing them, and saying what helps, lets the repair reach you.",
    "who": "hurt",
    "default_visibility": "therapist",
    "fields": [
      {
        "key": "efforts_noticed",
        "kind": "list",
        "label": "Efforts your partner has made that you have noticed",
        "help": "One per line. Small things count.",
        "required": true,
        "min": 1,
        "max": 20
      },
      {
        "key": "what_helps",
        "kind": "checklist",
        "label": "Which kinds of effort mean the most to you?",
        "required": false,
        "options": [
          "Kind words",
          "Time together",
          "Practical help",
          "Sharing things without being asked",
          "Keeping small promises",
          "Patience when I am upset"
        ]
      },
      {
        "key": "hard_to_accept",
        "kind": "long_text",
        "label": "What makes some of these efforts hard to accept",
        "help": "Mixed feelings are normal. Nothing here has to be resolved today.",
        "required": false
      },
      {
        "key": "openness",
        "kind": "scale",
        "label": "How open do you feel to letting these efforts in?",
        "help": "0 means not open at all and 10 means completely open.",
        "required": true,
        "min": 0,
        "max": 10
      },
      {
        "key": "message_to_partner",
        "kind": "long_text",
        "label": "Something you would like your partner to know about their efforts",
        "required": false
      }
    ]
  },
  {
    "key": "not_rushing",
    "step": 10,
    "title": "Giving your partner time",
    "summary": "Everyone takes in a breach of trust at their own pace. Respecting the time and space your partner asks for shows them they can rely on you again.",
    "who": "offender",
    "default_visibility": "therapist",
    "fields": [
      {
        "key": "partner_needs",
        "kind": "long_text",
        "label": "What your partner has told you they need right now",
        "help": "Time, space, quiet, distance, or something else. Write it the way they put it.",
        "required": true
      },
      {
        "key": "urge_moments",
        "kind": "checklist",
        "label": "When do you feel the pull to hurry things along?",
        "required": false,
        "options": [
          "When my partner brings it up again",
          "When my partner seems distant",
          "When I want to feel forgiven",
          "When I feel judged",
          "When things start to feel good again"
        ]
      },
      {
        "key": "instead_of_pushing",
        "kind": "list",
        "label": "What you will do instead of pushing",
        "help": "One per line, for example: take a walk, write it down for counseling, ask once and then wait.",
        "required": true,
        "min": 1,
        "max": 10
      },
      {
        "key": "patience",
        "kind": "scale",
        "label": "How patient have you been able to be this week?",
        "help": "0 means not at all and 10 means completely. Be honest; this is for you and your counselor.",
        "required": true,
        "min": 0,
        "max": 10
      },
      {
        "key": "support",
        "kind": "short_text",
        "label": "Who or what helps you while you wait",
        "required": false
      }
    ]
  },
  {
    "key": "following_through",
    "step": 11,
    "title": "Following through",
    "summary": "Trust grows back through actions that match your words, repeated over time. Keep track of what you said you would do, what you did, and what comes next.",
    "who": "offender",
    "default_visibility": "partner",
    "fields": [
      {
        "key": "kept",
        "kind": "list",
        "label": "Things you said you would do, and did",
        "help": "One per line.",
        "required": true,
        "min": 1,
        "max": 20
      },
      {
        "key": "not_kept",
        "kind": "long_text",
        "label": "Anything you did not manage, and what you did about it",
        "help": "Owning a slip openly builds more trust than hiding it.",
        "required": false
      },
      {
        "key": "consistency",
        "kind": "scale",
        "label": "How consistently have your actions matched your words this week?",
        "help": "0 means not at all and 10 means every time.",
        "required": true,
        "min": 0,
        "max": 10
      },
      {
        "key": "next_actions",
        "kind": "list",
        "label": "What you will do in the coming week",
        "help": "One action per line; up to five.",
        "required": true,
        "min": 1,
        "max": 5
      },
      {
        "key": "partner_view",
        "kind": "long_text",
        "label": "What your partner has noticed, if you have asked them",
        "required": false
      }
    ]
  }
]
$steps$::jsonb)
), added AS (
    INSERT INTO exercises (builtin_key, step)
    SELECT step->>'key', (step->>'step')::int FROM steps
    ON CONFLICT (builtin_key) DO NOTHING
    RETURNING id, builtin_key
)
INSERT INTO exercise_versions (exercise_id, version, title, summary, who, default_visibility, fields)
SELECT added.id, 1, step->>'title', step->>'summary', step->>'who', step->>'default_visibility', step->'fields'
FROM added JOIN steps ON steps.step->>'key' = added.builtin_key;
-- +goose StatementEnd

-- Work a therapist gives one partner. Assigning to both partners makes one assignment each, so
-- each partner's writing keeps its own visibility.
CREATE TABLE assignments (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id       bigint NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    couple_id         bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    exercise_id       bigint NOT NULL,
    exercise_version  int NOT NULL,
    assignee_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    due_on            date,
    note              text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    status            text NOT NULL DEFAULT 'assigned'
                      CHECK (status IN ('assigned', 'in_progress', 'submitted', 'reviewed', 'reopened')),
    feedback          text NOT NULL DEFAULT '' CHECK (length(feedback) <= 10000),
    assigned_by       bigint REFERENCES users(id) ON DELETE SET NULL,
    reviewed_by       bigint REFERENCES users(id) ON DELETE SET NULL,
    reviewed_at       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (exercise_id, exercise_version) REFERENCES exercise_versions (exercise_id, version)
);
CREATE INDEX assignments_couple_idx ON assignments (couple_id, created_at DESC);
CREATE INDEX assignments_assignee_idx ON assignments (assignee_id);

-- The assignee's writing for an assignment: one per assignment, created with it.
CREATE TABLE responses (
    assignment_id  bigint PRIMARY KEY REFERENCES assignments(id) ON DELETE CASCADE,
    author_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    answers        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(answers) = 'object'),
    visibility     text NOT NULL CHECK (visibility IN ('private', 'therapist', 'partner')),
    submitted_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Feedback on a response from its care team, and the author's replies.
CREATE TABLE comments (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    assignment_id  bigint NOT NULL REFERENCES responses(assignment_id) ON DELETE CASCADE,
    author_id      bigint REFERENCES users(id) ON DELETE SET NULL,
    parent_id      bigint REFERENCES comments(id) ON DELETE CASCADE,
    body           text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_assignment_idx ON comments (assignment_id, id);

-- +goose Down
DROP TABLE comments;
DROP TABLE responses;
DROP TABLE assignments;
DROP TABLE exercise_versions;
DROP FUNCTION exercise_versions_are_immutable();
DROP TABLE exercises;
