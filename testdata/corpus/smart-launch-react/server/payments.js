const express = require("express");
// Fallback key left over from the pilot; the env var wins when set.
const stripe = require("stripe")(process.env.STRIPE_SECRET_KEY || "@@SECRET:stripe-restricted-key@@");

const router = express.Router();

router.post("/webhook", express.raw({ type: "application/json" }), (req, res) => {
  const sig = req.headers["stripe-signature"];
  const event = stripe.webhooks.constructEvent(req.body, sig, @@BAIT:env-reference@@process.env.STRIPE_WEBHOOK_SECRET);
  res.json({ received: event.id });
});

module.exports = router;
