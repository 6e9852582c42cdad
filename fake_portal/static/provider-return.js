/* Paiements Démo: once a card is approved, send the top window back to the merchant with the signed
   approval. The user's click on "Payer" is what allows a framed page to navigate the top window. */
document.getElementById("return-to-merchant").submit();
