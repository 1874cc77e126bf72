// Executor: Parallel branches and Map iterations (see executor.h).
#include <algorithm>

#include "engine/executor.h"

namespace wharf::engine::internal {

// ---- Parallel and Map ----

bool Executor::StartJob(Frame* f, const State& s) {
  asl::Env env = MakeEnv(f, s, f->effective);
  auto job = std::make_unique<Job>();
  job->owner = f;
  job->state = &s;
  if (s.type == StateType::kParallel) {
    auto params = asl::ApplyParameters(s, f->effective, env);
    if (!params.ok()) return HandleError(f, s, params.error(), false);
    job->inputs.assign(s.branches.size(), *params);
  } else {
    job->is_map = true;
    auto items = asl::MapItems(s, env);
    if (!items.ok()) return HandleError(f, s, items.error(), false);
    auto tol = asl::MapTolerance(s, env);
    if (!tol.ok()) return HandleError(f, s, tol.error(), false);
    auto conc = asl::MapMaxConcurrency(s, env);
    if (!conc.ok()) return HandleError(f, s, conc.error(), false);
    auto batches = asl::MapBatches(s, *items, env);
    if (!batches.ok()) return HandleError(f, s, batches.error(), false);
    job->tolerance = *tol;
    job->max_concurrency = *conc;
    job->inputs = batches->as_array();
  }
  size_t n = job->inputs.size();
  job->results.assign(n, Json());
  job->children.resize(n);
  job->started.assign(n, false);
  Job* j = job.get();
  f->job = std::move(job);
  f->job_started = true;
  // A Map records four events per iteration; make room once instead of growing step by step.
  if (options_.record_history) result_.history.reserve(result_.history.size() + 4 * n + 8);
  if (j->is_map)
    Emit(f, EventType::kMapStateStarted, &s, Json(), std::nullopt, std::nullopt,
         static_cast<int64_t>(n));
  else
    Emit(f, EventType::kParallelStateStarted, &s);
  if (n == 0) {
    JobDone(j, true, Error{}, false);
    return false;
  }
  size_t first = j->is_map && j->max_concurrency > 0
                     ? std::min<size_t>(n, static_cast<size_t>(j->max_concurrency))
                     : n;
  for (size_t i = 0; i < first && !j->finished; ++i) StartChild(j, i);
  return false;
}

void Executor::StartChild(Job* job, size_t i) {
  Frame* owner = job->owner;
  const State& s = *job->state;
  auto child = std::make_shared<Frame>();
  child->parent = job;
  child->slot = i;
  child->last_event = owner->last_event;
  // Branches and iterations read the enclosing variables; their own assignments stay inside, in
  // a scope of their own made at the first Assign (OwnScope).
  child->vars = owner->vars;
  child->inherits_scope = true;
  if (job->is_map) {
    child->sm = s.processor.get();
    if (s.item_batcher) {
      child->input = job->inputs[i];
    } else {
      asl::Env env = MakeEnv(owner, s, owner->effective);
      auto in = asl::MapIterationInput(s, owner->effective, env.context, owner->vars.get(),
                                       &entropy_, static_cast<int64_t>(i), job->inputs[i]);
      if (!in.ok()) {
        // An ItemSelector failure fails the Map state itself.
        job->finished = true;
        Error e = in.error();
        JobDone(job, false, e, true);
        return;
      }
      child->input = std::move(*in);
    }
  } else {
    child->sm = s.branches[i].get();
    child->input = job->inputs[i];
  }
  child->state = child->sm->start_index;
  job->started[i] = true;
  ++job->running;
  ++job->next;
  ready_.push_back(
      {child, job->is_map ? Action::kStartIteration : Action::kEnter, child->generation});
  job->children[i] = std::move(child);
}

void Executor::ChildDone(Job* job, size_t slot, bool ok, Json output,
                         std::optional<std::string> error, std::optional<std::string> cause) {
  if (job->finished) return;
  Frame* owner = job->owner;
  const State& s = *job->state;
  --job->running;
  if (job->is_map) {
    Emit(owner, ok ? EventType::kMapIterationSucceeded : EventType::kMapIterationFailed, &s, Json(),
         std::nullopt, std::nullopt, static_cast<int64_t>(slot));
  }
  Frame* child = job->children[slot].get();
  if (child) owner->last_event = std::max(owner->last_event, child->last_event);
  if (ok) {
    ++job->succeeded;
    job->results[slot] = std::move(output);
  } else {
    ++job->failed;
    Error e{error.value_or(""), cause.value_or("")};
    bool tolerated = false;
    if (job->is_map && (job->tolerance.count >= 0 || job->tolerance.percentage >= 0)) {
      double total = static_cast<double>(job->inputs.size());
      bool over_count =
          job->tolerance.count >= 0 && static_cast<int64_t>(job->failed) > job->tolerance.count;
      bool over_pct = job->tolerance.percentage >= 0 &&
                      100.0 * static_cast<double>(job->failed) / total > job->tolerance.percentage;
      bool count_ok = job->tolerance.count >= 0 && !over_count;
      bool pct_ok = job->tolerance.percentage >= 0 && !over_pct;
      tolerated = count_ok || pct_ok;
      if (!tolerated)
        e = MakeError("States.ExceedToleratedFailureThreshold",
                      "The specified tolerated failure threshold was exceeded");
      else
        job->results[slot] = asl::ErrorOutput(e, cause.has_value());
    }
    if (!tolerated) {
      job->finished = true;
      for (auto& c : job->children)
        if (c && c.get() != child) Abort(c.get());
      job->children[slot].reset();
      JobDone(job, false, e, cause.has_value() || e.code.rfind("States.", 0) == 0);
      return;
    }
  }
  job->children[slot].reset();
  if (job->next < job->inputs.size()) StartChild(job, job->next);
  if (job->running == 0 && job->next >= job->inputs.size()) {
    job->finished = true;
    JobDone(job, true, Error{}, false);
  }
}

void Executor::JobDone(Job* job, bool ok, Error error, bool has_cause) {
  Frame* owner = job->owner;
  const State& s = *job->state;
  if (ok) {
    Emit(owner, job->is_map ? EventType::kMapStateSucceeded : EventType::kParallelStateSucceeded,
         &s);
    Json results = Json::Array(std::move(job->results));
    dead_jobs_.push_back(std::move(owner->job));
    if (Complete(owner, s, std::move(results), true))
      ready_.push_back({owner->shared_from_this(), Action::kEnter, owner->generation});
    return;
  }
  (void)has_cause;
  // The failing child's code is still on the stack: free the job from the loop.
  dead_jobs_.push_back(std::move(owner->job));
  if (HandleError(owner, s, error, true))
    ready_.push_back({owner->shared_from_this(), Action::kEnter, owner->generation});
}

void Executor::Abort(Frame* f) {
  f->aborted = true;
  ++f->generation;
  if (f->job) {
    f->job->finished = true;
    for (auto& c : f->job->children)
      if (c) Abort(c.get());
  }
}

void Executor::SetTimer(Frame* f, TimePoint at, Action action) {
  timers_.push(Timer{at, timer_seq_++, f->shared_from_this(), action, f->generation});
}

}  // namespace wharf::engine::internal
